"""What every route of one server process shares: the database, the current facts, the keys."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from meterguard.adapters.storage.release_store import SqlReleaseStore
from meterguard.adapters.storage.snapshot_follower import SnapshotFollower
from meterguard.adapters.storage.usage_store import SqlDailyMeterPoints
from meterguard.domain.time import Instant
from meterguard.services.api_keys import ApiKeys

LIMIT_VARIABLE = "MG_OU_DAILY_METER_POINTS"
DEFAULT_OU_DAILY_METER_POINTS = 1000


def daily_limit_from_environment() -> int:
    return int(os.environ.get(LIMIT_VARIABLE, DEFAULT_OU_DAILY_METER_POINTS))


@dataclass
class HubState:
    """One per process, at ``app.state.hub``. The web pages use it too."""

    engine: Engine
    facts: SnapshotFollower
    keys: ApiKeys
    releases: SqlReleaseStore
    ou_limit: SqlDailyMeterPoints
    clock: Callable[[], Instant]

    def catch_up(self) -> None:
        """Apply other processes' changes; drop remembered keys when keys or parties changed."""
        changes = self.facts.catch_up()
        if changes:
            self.keys.forget()
