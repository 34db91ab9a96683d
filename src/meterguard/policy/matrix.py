"""The Data Permissions Matrix (ACCESS-RULES section 5): versioned, effective-dated cells.

A matrix is validated when it is loaded: it may never grant an excluded group on API or BULK, and
``A`` (community view) is never valid for a series item. A cell that is absent is "not
configured", which callers report apart from an explicit ``-``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from meterguard.domain.catalogue import CATALOGUE, Channel, is_excluded
from meterguard.domain.roles import Role
from meterguard.domain.time import Instant, format_instant


class Access(StrEnum):
    NOT_PERMITTED = "-"
    CURRENT = "C"
    HISTORIC = "H"
    COMMUNITY = "A"


@dataclass(frozen=True, slots=True)
class CellKey:
    item: str
    role: Role
    channel: Channel

    def __str__(self) -> str:
        return f"{self.item}/{self.role}/{self.channel}"


@dataclass(frozen=True, slots=True)
class Cell:
    version: int
    key: CellKey
    access: Access


class InvalidCell(ValueError):
    """A cell that no matrix may hold."""


def check_cell(key: CellKey, access: Access) -> None:
    """The floor every matrix version must respect."""
    item = CATALOGUE.get(key.item)
    if item is None:
        raise InvalidCell(f"unknown item {key.item!r}")
    if access is not Access.NOT_PERMITTED and is_excluded(item, key.channel):
        raise InvalidCell(
            f"{key} = {access}: group {item.group} is never released through {key.channel}"
        )
    if access is Access.COMMUNITY and item.is_series:
        raise InvalidCell(f"{key} = A: community view is never valid for a series item")


@dataclass(frozen=True, slots=True)
class MatrixVersion:
    version: int
    effective_from: Instant
    cells: dict[CellKey, Access]
    # The same cells keyed by plain (item, role, channel) tuples, for the engine's hot path.
    by_tuple: dict[tuple[str, Role, Channel], Access] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for key, access in self.cells.items():
            check_cell(key, access)
        fast = {(k.item, k.role, k.channel): access for k, access in self.cells.items()}
        object.__setattr__(self, "by_tuple", fast)

    def access(self, key: CellKey) -> Access | None:
        """The cell's access, or ``None`` when the cell is not configured."""
        return self.cells.get(key)

    def __str__(self) -> str:
        return f"matrix v{self.version} (in force from {format_instant(self.effective_from)})"


class Matrix:
    """Every version; the one in force at ``at`` has the latest ``effective_from <= at``."""

    def __init__(self, versions: Iterable[MatrixVersion] = ()) -> None:
        ordered = sorted(versions, key=lambda v: v.effective_from)
        self._versions = tuple(ordered)
        self._starts = [v.effective_from for v in ordered]

    @property
    def versions(self) -> tuple[MatrixVersion, ...]:
        return self._versions

    def in_force_at(self, at: Instant) -> MatrixVersion | None:
        if self._starts and at >= self._starts[-1]:  # most decisions: the newest version
            return self._versions[-1]
        index = bisect_right(self._starts, at) - 1
        return self._versions[index] if index >= 0 else None
