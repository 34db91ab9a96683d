"""What every route of one server process shares: the database, the current facts, the keys."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from meterguard.adapters.storage.group_release import GroupReleases
from meterguard.adapters.storage.release_store import SqlReleaseStore
from meterguard.adapters.storage.shared_catch_up import SharedCatchUp
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
    releases: SqlReleaseStore  # the administrative routes' releases, one transaction each
    ou_limit: SqlDailyMeterPoints
    clock: Callable[[], Instant]
    feed: SharedCatchUp  # the hot routes' change-feed reads, shared by the requests waiting
    audited: GroupReleases  # the hot routes' audited releases and refusals, in group commits

    async def catch_up(self) -> None:
        """Apply every change any process committed before this call (``create_app`` has the
        remembered keys dropped whenever something changed)."""
        await self.feed.catch_up()
