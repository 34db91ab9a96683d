"""The permissions matrix as a grid per version, with the cells that changed since the version
before marked (the operator's page). The comparison is ``policy.matrix_diff``'s, not another."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from meterguard.domain.catalogue import CATALOGUE, Channel
from meterguard.domain.roles import Role
from meterguard.policy.matrix import Access, CellKey, MatrixVersion
from meterguard.policy.matrix_diff import CellChange, MatrixDiff, diff_cells


@dataclass(frozen=True, slots=True)
class GridCell:
    access: Access | None  # None: not configured
    change: CellChange | None  # how it differs from the previous version, if it does


@dataclass(frozen=True, slots=True)
class MatrixGrid:
    version: MatrixVersion
    previous: MatrixVersion | None
    versions: tuple[int, ...]  # every version number, oldest first, for navigation
    items: tuple[str, ...]
    roles: tuple[Role, ...]
    channels: tuple[Channel, ...]
    diff: MatrixDiff
    cells: dict[tuple[str, Role, Channel], GridCell]

    def cell(self, item: str, role: Role, channel: Channel) -> GridCell:
        return self.cells[(item, role, channel)]


def matrix_grid(versions: Sequence[MatrixVersion], number: int | None = None) -> MatrixGrid | None:
    """The grid of version ``number`` (default: the newest), or None when there is no such one."""
    ordered = sorted(versions, key=lambda v: v.effective_from)
    index = next(
        (i for i, v in enumerate(ordered) if v.version == number),
        len(ordered) - 1 if number is None else -1,
    )
    if index < 0:
        return None
    version = ordered[index]
    previous = ordered[index - 1] if index > 0 else None
    diff = diff_cells(previous.cells if previous else version.cells, version.cells)
    changes = {change.key: change for change in diff.changes}
    items = tuple(CATALOGUE)
    roles, channels = tuple(Role), tuple(Channel)
    cells = {
        (item, role, channel): GridCell(
            version.access(CellKey(item, role, channel)),
            changes.get(CellKey(item, role, channel)),
        )
        for item in items
        for role in roles
        for channel in channels
    }
    return MatrixGrid(
        version,
        previous,
        tuple(v.version for v in ordered),
        items,
        roles,
        channels,
        diff,
        cells,
    )
