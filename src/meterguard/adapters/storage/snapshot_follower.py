"""One truth across processes: keep this process's snapshot current from the registry change feed.

Every writer notes what it changed in ``registry_changes`` inside its own transaction (see
``changes.py``). Before each decision the follower reads the entries after the last one it applied
(one indexed range query, empty nearly always) and reloads exactly what they name: a meter point's
appointments, occupancies and devices, its consents, or the registry-wide facts. So a change
committed by any process is honoured by the very next decision in every process.

The feed's position is read BEFORE the snapshot is loaded: a change committed while loading is
applied again by the first ``catch_up`` (reloading is idempotent), never missed.
"""

from __future__ import annotations

import threading

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import DBAPIError

from meterguard.adapters.storage import schema
from meterguard.adapters.storage.changes import CONSENTS, changes_since, latest_change
from meterguard.adapters.storage.records import consent_from, party_from
from meterguard.adapters.storage.snapshot_loader import (
    SqlMeterSource,
    load_matrix_versions,
    load_snapshot,
)
from meterguard.domain.identifiers import Fuel
from meterguard.policy.snapshot import Snapshot

# Kinds that say nothing about the snapshot (API keys revoked): reported to the caller only.
_NOT_FACTS = frozenset({"api_keys"})
# Past this many meter points in one catch-up (a large import), loading afresh is cheaper.
RELOAD_THRESHOLD = 2_000
_FUEL = {f.value: f for f in Fuel}

Change = tuple[int, str | None, str]


class SnapshotFollower:
    """Owns the process's snapshot; read it through ``snapshot`` after ``catch_up``.

    ``lock`` serialises catching up and deciding among the threads of one process: a decision
    never reads a snapshot half way through a change."""

    def __init__(self, engine: Engine, lazy: bool = True) -> None:
        self.engine = engine
        self.lazy = lazy
        self.lock = threading.RLock()
        self.seq = 0
        self._feed: Connection | None = None
        self.snapshot = self._fresh()

    def _fresh(self) -> Snapshot:
        with self.engine.connect() as connection:
            self.seq = latest_change(connection)  # before loading: nothing slips between
        return load_snapshot(self.engine, lazy=self.lazy)

    def catch_up(self) -> list[Change]:
        """Apply every change committed since the last call; return them (oldest first)."""
        with self.lock:
            changes = self.changes_after(self.seq)
            self.apply(changes)
            return changes

    def apply(self, changes: list[Change]) -> None:
        """Apply changes read from the feed after ``seq`` (by this follower or by a reader sharing
        one read among requests, ``shared_catch_up``). Reloading is idempotent and reads the
        current facts, so changes a thread applied meanwhile do no harm; ``seq`` never goes back."""
        if not changes:
            return
        with self.lock:
            self._apply(changes)
            self.seq = max(self.seq, changes[-1][0])

    def changes_after(self, seq: int) -> list[Change]:
        """The feed after ``seq``, read on a connection of the follower's own in autocommit mode:
        no pool checkout and no rollback on return, so the read costs one round trip. A broken
        connection (a database restart) is replaced once."""
        for attempt in (1, 2):
            if self._feed is None:
                self._feed = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                with self.lock:  # one connection: one reader at a time
                    return changes_since(self._feed, seq)
            except DBAPIError:
                self._feed.invalidate()
                self._feed.close()
                self._feed = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        if self._feed is not None:
            self._feed.close()
            self._feed = None

    def _apply(self, changes: list[Change]) -> None:
        registry_wide = any(m is None and k not in _NOT_FACTS for _, m, k in changes)
        meters = {m for _, m, k in changes if m is not None and k not in _NOT_FACTS}
        consent_meters = {m for _, m, k in changes if m is not None and k == CONSENTS}
        # Appointments, occupancies, devices (and any kind this reader does not know): reload the
        # meter point's facts, the safe answer.
        fact_meters = {
            m for _, m, k in changes if m is not None and k != CONSENTS and k not in _NOT_FACTS
        }
        if len(meters) > RELOAD_THRESHOLD:
            self.snapshot = load_snapshot(self.engine, lazy=self.lazy)
            return
        snapshot = self.snapshot
        if registry_wide:
            self._reload_registry(snapshot)
        source = SqlMeterSource(self.engine)
        for mpxn in sorted(fact_meters):
            snapshot.replace_meter(mpxn, source.meter(mpxn))
        if not registry_wide:  # a registry-wide reload has read every consent already
            for mpxn in sorted(consent_meters):
                self._reload_consents(snapshot, mpxn)

    def _reload_registry(self, snapshot: Snapshot) -> None:
        m = schema.meter_points
        with self.engine.connect() as connection:
            parties = [party_from(r) for r in connection.execute(select(schema.parties)).mappings()]
            fuels = {
                mpxn: _FUEL[fuel] for mpxn, fuel in connection.execute(select(m.c.mpxn, m.c.fuel))
            }
            consents = [
                consent_from(r) for r in connection.execute(select(schema.consents)).mappings()
            ]
        snapshot.replace_registry(parties, fuels, load_matrix_versions(self.engine), consents)

    def _reload_consents(self, snapshot: Snapshot, mpxn: str) -> None:
        table = schema.consents
        with self.engine.connect() as connection:
            rows = connection.execute(select(table).where(table.c.mpxn == mpxn)).mappings()
            snapshot.replace_consents(mpxn, [consent_from(r) for r in rows])
