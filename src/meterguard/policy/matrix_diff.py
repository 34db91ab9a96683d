"""What changes between two permissions matrices, cell by cell and as exposure.

One comparison serves the operator's grid (which cells differ between versions) and the matrix
change workflow (what a proposed version gains and loses per role and channel, and which personal
data it newly exposes). Access is ordered by how much it releases: ``-`` and an absent cell
release nothing, ``C`` the current stretch, ``A`` any subject's current reference value, ``H``
every period of the relationship.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from meterguard.domain.catalogue import CATALOGUE, Channel
from meterguard.domain.roles import Role
from meterguard.policy.matrix import Access, CellKey

# How much a cell releases; an absent cell (not configured) releases nothing, like ``-``.
_REACH = {
    None: 0,
    Access.NOT_PERMITTED: 0,
    Access.CURRENT: 1,
    Access.COMMUNITY: 2,
    Access.HISTORIC: 3,
}


class Change(StrEnum):
    ADDED = "added"  # a cell that was not configured
    REMOVED = "removed"  # a cell that is no longer configured
    WIDENED = "widened"  # releases more than before
    NARROWED = "narrowed"  # releases less than before
    RELABELLED = "relabelled"  # same reach, other value (absent <-> "-")


@dataclass(frozen=True, slots=True)
class CellChange:
    key: CellKey
    before: Access | None
    after: Access | None

    @property
    def change(self) -> Change:
        if self.before is None:
            return Change.ADDED if _REACH[self.after] == 0 else Change.WIDENED
        if self.after is None:
            return Change.REMOVED if _REACH[self.before] == 0 else Change.NARROWED
        reach_before, reach_after = _REACH[self.before], _REACH[self.after]
        if reach_after > reach_before:
            return Change.WIDENED
        if reach_after < reach_before:
            return Change.NARROWED
        return Change.RELABELLED

    @property
    def gains(self) -> bool:
        """Whether the role may now obtain something through the channel it could not before."""
        return _REACH[self.after] > _REACH[self.before]

    @property
    def newly_exposes_personal_data(self) -> bool:
        item = CATALOGUE.get(self.key.item)
        return self.gains and item is not None and item.is_personal

    def __str__(self) -> str:
        return f"{self.key}: {self.before or 'not configured'} -> {self.after or 'not configured'}"


@dataclass(frozen=True, slots=True)
class MatrixDiff:
    changes: tuple[CellChange, ...]  # sorted by role, channel, item

    @property
    def gained(self) -> tuple[CellChange, ...]:
        return tuple(c for c in self.changes if c.gains)

    @property
    def lost(self) -> tuple[CellChange, ...]:
        return tuple(c for c in self.changes if _REACH[c.before] > _REACH[c.after])

    @property
    def personal_data_newly_exposed(self) -> tuple[CellChange, ...]:
        return tuple(c for c in self.changes if c.newly_exposes_personal_data)

    def by_role_and_channel(self) -> dict[tuple[Role, Channel], tuple[CellChange, ...]]:
        grouped: dict[tuple[Role, Channel], list[CellChange]] = {}
        for change in self.changes:
            grouped.setdefault((change.key.role, change.key.channel), []).append(change)
        return {key: tuple(changes) for key, changes in grouped.items()}

    def changed_keys(self) -> frozenset[CellKey]:
        return frozenset(c.key for c in self.changes)


def diff_cells(before: Mapping[CellKey, Access], after: Mapping[CellKey, Access]) -> MatrixDiff:
    """Every cell whose value differs between ``before`` and ``after`` (absent counts as a value)."""
    keys = set(before) | set(after)
    changes = [
        CellChange(key, before.get(key), after.get(key))
        for key in keys
        if before.get(key) != after.get(key)
    ]
    changes.sort(key=lambda c: (c.key.role.value, c.key.channel.value, c.key.item))
    return MatrixDiff(tuple(changes))
