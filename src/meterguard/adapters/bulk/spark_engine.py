"""The compiled windows run by PySpark over the same Parquet readings dataset.

For readings past one machine: the same relation of windows, as a broadcast DataFrame, range-joined
with DataFrame operations (no SQL text at all). Needs the optional extra ``meterguard[spark]`` and
Java 17. The result is streamed back to the caller in Arrow batches, so the export is audited and
renamed into place exactly as with the other engines.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa

from meterguard.adapters.bulk.windows import READING_SCHEMA, TAGGED_SCHEMA
from meterguard.adapters.readings_parquet import ParquetReadings
from meterguard.policy.bulk import Window

_spark_session: Any = None


def spark_session() -> Any:
    """One local SparkSession per process: starting one costs seconds."""
    global _spark_session
    if _spark_session is None:
        from pyspark.sql import SparkSession

        _spark_session = (
            SparkSession.builder.master("local[2]")
            .appName("meterguard-bulk")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
            .getOrCreate()
        )
        _spark_session.sparkContext.setLogLevel("ERROR")
    return _spark_session


class SparkReadingsEngine:
    name = "spark"

    def __init__(self, dataset: ParquetReadings, session: Any = None) -> None:
        self.dataset = dataset
        self.session = session
        self._readings: Any = None  # the dataset's DataFrame, listed once per engine

    def select(self, windows: Sequence[Window], tag: bool) -> Iterator[pa.RecordBatch]:
        from pyspark.sql import functions as F
        from pyspark.sql.types import LongType, StringType, StructField, StructType

        if not self.dataset.exists():
            raise FileNotFoundError(f"no Parquet readings dataset at {self.dataset.root}")
        spark = self.session or spark_session()
        target = TAGGED_SCHEMA if tag else READING_SCHEMA
        window_schema = StructType(
            [
                StructField("w_mpxn", StringType(), False),
                StructField("w_start", LongType(), False),
                StructField("w_end", LongType(), False),
                StructField("party_id", StringType(), False),
            ]
        )
        w = spark.createDataFrame([tuple(window) for window in windows], window_schema)
        if self._readings is None:
            self._readings = spark.read.parquet(str(self.dataset.root)).select("mpxn", "ts", "kwh")
        r = self._readings
        held = (r.mpxn == w.w_mpxn) & (r.ts >= w.w_start) & (r.ts < w.w_end)
        if tag:
            joined = r.join(F.broadcast(w), held, "left").select("mpxn", "ts", "kwh", "party_id")
        else:
            joined = r.join(F.broadcast(w), held, "inner").select("mpxn", "ts", "kwh")
        table = joined.orderBy("mpxn", "ts").toArrow()
        for batch in table.to_batches():
            yield batch.cast(target) if batch.schema != target else batch
