"""Messages for routing tests, as a file reader would give them, and the small registry."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from meterguard.domain.time import format_instant
from meterguard.services.ingest import MESSAGE_COLUMNS, RawMessage

SMALL = Path(__file__).parents[1] / "fixtures" / "small"
E1 = "1012345678903"  # IS: OCTO until 2025-01-15, BRIT from then
E2 = "1200000000011"  # IS: OCTO from 2021-06-01
ESME_E1 = "00-DB-12-34-56-78-90-A0"  # credentials: OCTO (the former supplier)


class Messages:
    """An in-memory ``MessageSource`` that can also write itself as a CSV file."""

    name = "messages.csv"

    def __init__(self) -> None:
        self.items: list[dict[str, object]] = []

    def add(
        self,
        message_id: str,
        ts: int,
        kind: str = "read",
        alert_code: str = "",
        mpxn: str = E1,
        device_guid: str = ESME_E1,
    ) -> None:
        self.items.append(
            {
                "message_id": message_id,
                "mpxn": mpxn,
                "device_guid": device_guid,
                "ts": format_instant(ts),
                "kind": kind,
                "alert_code": alert_code,
                "payload": f'{{"id": "{message_id}"}}',
            }
        )

    def columns(self) -> list[str]:
        return list(MESSAGE_COLUMNS)

    def rows(self) -> Iterator[RawMessage]:
        for line, row in enumerate(self.items, start=2):
            yield RawMessage(line, dict(row))

    def write_csv(self, path: Path) -> Path:
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, MESSAGE_COLUMNS)
            writer.writeheader()
            writer.writerows(self.items)
        return path
