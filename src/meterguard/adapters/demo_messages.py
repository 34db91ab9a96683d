"""Device messages for a demo folder: what its meters send over the last days, for ``ingest``.

Reads the folder's ``devices.csv`` and ``appointments.csv`` (written by ``demo-data``) and writes
``messages.csv``: every commissioned meter (ESME, GSME) sends one read a day at midnight, the
critical alert 8F0A *Billing Data Log Updated* a few minutes later, the non-critical alert 8183
*Device joined SMHAN* now and then, and on some days the critical 8F0C *Clock not adjusted*. A few
meters also send one old read stamped before any supplier was appointed, which routing must hold
in quarantine. The meters in a credentials gap thus show DP072: their former supplier receives the
critical alerts and nothing else.
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from meterguard.domain.time import DAY, HALF_HOUR, format_instant, parse_instant
from meterguard.services.ingest import MESSAGE_COLUMNS

_METERS = ("ESME", "GSME")
_SUPPLIER_ROLES = ("IS", "GS")
QUARANTINE_EVERY = 40  # one meter in this many also sends a read from before any supplier


def write_demo_messages(folder: Path, *, as_of: datetime, days: int, seed: int = 1) -> int:
    """Write ``folder/messages.csv``; returns the number of messages."""
    end = int(as_of.astimezone(UTC).timestamp()) // DAY * DAY
    first_supply = _first_supply_starts(folder / "appointments.csv")
    rng = random.Random(seed)
    count = 0
    with (
        (folder / "devices.csv").open(encoding="utf-8", newline="") as devices,
        (folder / "messages.csv").open("w", encoding="utf-8", newline="") as handle,
    ):
        writer = csv.writer(handle)
        writer.writerow(MESSAGE_COLUMNS)
        meters = [
            d
            for d in csv.DictReader(devices)
            if d["device_type"] in _METERS and d["status"] == "commissioned"
        ]
        for n, device in enumerate(meters):
            guid, mpxn = device["guid"], device["mpxn"]
            rows: list[tuple[int, str, str]] = []
            for day in range(end - days * DAY, end, DAY):
                rows.append((day, "read", ""))
                rows.append((day + 300, "alert", "8F0A"))
                if rng.random() < 0.6:
                    rows.append((day + rng.randrange(1, 47) * HALF_HOUR, "alert", "8183"))
                if rng.random() < 0.3:
                    rows.append((day + rng.randrange(1, 47) * HALF_HOUR, "alert", "8F0C"))
            start = first_supply.get(mpxn)
            if n % QUARANTINE_EVERY == 0 and start is not None:
                rows.append((start - DAY, "read", ""))
            for ts, kind, code in sorted(rows):
                count += 1
                writer.writerow(
                    [
                        f"{guid}-{ts}-{kind}-{code or 'R'}",
                        mpxn,
                        guid,
                        format_instant(ts),
                        kind,
                        code,
                        f'{{"kwh": {rng.uniform(0.1, 30):.3f}}}' if kind == "read" else "",
                    ]
                )
    return count


def _first_supply_starts(path: Path) -> dict[str, int]:
    """Each meter point's earliest supplier appointment, when it has a start."""
    starts: dict[str, list[int]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["role"] in _SUPPLIER_ROLES and row["valid_from"]:
                starts[row["mpxn"]].append(parse_instant(row["valid_from"]))
    return {mpxn: min(values) for mpxn, values in starts.items()}
