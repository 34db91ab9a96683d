"""The critical alerts list the router uses: the imported ``critical_alerts.csv``, or the default.

When no list has been imported (the ``critical_alerts`` table is empty), the hub routes with the
default list shipped in ``default_critical_alerts.csv``: GBCS device alerts classed Critical that
go to the Supplier (sources in docs/routing.md). An imported list replaces it entirely.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from meterguard.adapters.storage.routing_store import SqlRoutingStore

DEFAULT_CRITICAL_ALERTS_PATH = Path(__file__).with_name("default_critical_alerts.csv")


@cache
def default_critical_alerts() -> tuple[tuple[str, str], ...]:
    """(alert_code, description) of the default list."""
    with DEFAULT_CRITICAL_ALERTS_PATH.open(encoding="utf-8", newline="") as handle:
        return tuple((row["alert_code"], row["description"]) for row in csv.DictReader(handle))


def critical_alert_codes(store: SqlRoutingStore) -> list[str]:
    """The imported list if there is one, else the default list."""
    return store.critical_alert_codes() or [code for code, _ in default_critical_alerts()]
