"""One change-feed read for every request waiting when it starts.

Every authenticated request must decide from facts that include every change committed before it
arrived (one truth across processes, ``snapshot_follower``). Reading the feed costs a round trip to
the database. Requests that arrive while a read is under way wait for the next read, which starts
after they arrived and therefore sees what they must see; under load one read serves them all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from meterguard.adapters.storage.snapshot_follower import Change, SnapshotFollower
from meterguard.services.batching import Rounds

FeedRead = Callable[[int], Awaitable[list[Change]]]


class SharedCatchUp:
    def __init__(
        self,
        follower: SnapshotFollower,
        read_after: FeedRead,
        on_change: Callable[[list[Change]], None] = lambda changes: None,
    ) -> None:
        self.follower = follower
        self._read_after = read_after
        self._on_change = on_change
        self.rounds: Rounds[None, None] = Rounds(self._round)

    async def catch_up(self) -> None:
        """Returns once every change committed before the call is in the follower's snapshot."""
        await self.rounds.submit(None)

    async def _round(self, waiting: Sequence[None]) -> list[None]:
        changes = await self._read_after(self.follower.seq)
        if changes:
            self.follower.apply(changes)  # reloads what changed: rare, and short
            self._on_change(changes)
        return [None] * len(waiting)


def inline_reader(follower: SnapshotFollower) -> FeedRead:
    """The follower's own blocking read, for databases in the process (SQLite)."""

    async def read_after(seq: int) -> list[Change]:
        return follower.changes_after(seq)

    return read_after
