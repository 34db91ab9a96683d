"""Changing the permissions matrix through a Disclosure Request Report (seed 000).

A change is drafted against the newest matrix version (cells it sets), its impact is shown as a
diff (per role and channel, items gained and lost, personal data newly exposed, parties
affected), it is screened (DPIA Stage 1 and the DRR tests), submitted, then approved or rejected
by a named operator. An approved change becomes a new matrix version in force from its
``effective_from``: decisions made before then keep the version they were made under.

Refused outright: a draft that touches an excluded group on API or BULK (the floor of
``policy/matrix.check_cell``), and the approval of a change that newly exposes personal data to a
role without a screening, or whose screening requires Stage 2 without the Stage 2 DPIA's reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from meterguard.domain.catalogue import CATALOGUE, Channel, is_excluded
from meterguard.domain.dpia import Screening
from meterguard.domain.parties import Party
from meterguard.domain.roles import Role
from meterguard.domain.time import Instant, format_instant
from meterguard.policy.matrix import Access, CellKey, InvalidCell, check_cell
from meterguard.policy.matrix_diff import MatrixDiff, diff_cells
from meterguard.services.audit import AuditRecord
from meterguard.services.operator_records import check_actor, operator_record


class ChangeRefused(ValueError):
    """A matrix change step that is not allowed; nothing was written."""


class ChangeNotFound(ChangeRefused):
    """No such matrix change, or no such matrix version."""


class ExcludedGroupTouched(ChangeRefused):
    """A change that would touch a group never released through that channel."""


class ScreeningRequired(ChangeRefused):
    """An approval that needs a (Stage 2) DPIA screening the change does not have."""


class ProposalRejected(ValueError):
    """A proposal file with problems, each ``file:line: field: message``."""

    def __init__(self, problems: list[str], touches_excluded_group: bool = False) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
        self.touches_excluded_group = touches_excluded_group


class ChangeStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


Cells = dict[CellKey, Access]


@dataclass(frozen=True, slots=True)
class MatrixChange:
    change_id: int
    title: str
    status: ChangeStatus
    base_version: int
    cells: tuple[tuple[CellKey, Access], ...]  # the cells it sets, over the base version
    drafted_at: Instant
    drafted_by: str
    submitted_at: Instant | None = None
    decided_at: Instant | None = None
    decided_by: str | None = None
    reason: str | None = None
    effective_from: Instant | None = None
    new_version: int | None = None


@dataclass(frozen=True, slots=True)
class StoredScreening:
    change_id: int
    screening: Screening
    stage2_reference: str
    screened_at: Instant
    screened_by: str


@dataclass(frozen=True, slots=True)
class MatrixVersionCells:
    version: int
    effective_from: Instant
    cells: Cells


@dataclass(frozen=True, slots=True)
class Impact:
    """What a change (or the step between two versions) does, and to whom."""

    before_version: int
    after_version: int | None  # None for a change not yet approved
    diff: MatrixDiff
    parties_affected: dict[Role, tuple[str, ...]] = field(default_factory=dict)

    @property
    def newly_exposes_personal_data(self) -> bool:
        return bool(self.diff.personal_data_newly_exposed)

    def as_json(self) -> dict[str, Any]:
        return {
            "before_version": self.before_version,
            "after_version": self.after_version,
            "by_role_and_channel": [
                {
                    "role": role.value,
                    "channel": channel.value,
                    "gained": [_change_json(c) for c in changes if c.gains],
                    "lost": [_change_json(c) for c in changes if c in self.diff.lost],
                    "other": [
                        _change_json(c) for c in changes if not c.gains and c not in self.diff.lost
                    ],
                    "personal_data_newly_exposed": [
                        c.key.item for c in changes if c.newly_exposes_personal_data
                    ],
                }
                for (role, channel), changes in self.diff.by_role_and_channel().items()
            ],
            "personal_data_newly_exposed": [str(c) for c in self.diff.personal_data_newly_exposed],
            "parties_affected": {
                role.value: list(parties) for role, parties in self.parties_affected.items()
            },
        }


def _change_json(change: Any) -> dict[str, str]:
    return {
        "item": change.key.item,
        "before": change.before.value if change.before else "not configured",
        "after": change.after.value if change.after else "not configured",
        "change": change.change.value,
    }


class MatrixChangeStore(Protocol):
    def newest_version(self) -> MatrixVersionCells | None: ...

    def version(self, version: int) -> MatrixVersionCells | None: ...

    def parties(self) -> list[Party]: ...

    def draft(self, change: MatrixChange, record: AuditRecord) -> MatrixChange: ...

    def get(self, change_id: int) -> MatrixChange | None: ...

    def changes(self) -> list[MatrixChange]: ...

    def screening(self, change_id: int) -> StoredScreening | None:
        """The newest screening of the change."""
        ...

    def add_screening(self, stored: StoredScreening, record: AuditRecord) -> None: ...

    def set_status(
        self,
        change: MatrixChange,
        expected: ChangeStatus,
        record: AuditRecord,
    ) -> None:
        """Write the change's new state if it is still ``expected``, with the record, in one
        transaction; ``ChangeRefused`` if another process moved it first."""
        ...

    def approve(
        self, change: MatrixChange, new: MatrixVersionCells, at: Instant, record: AuditRecord
    ) -> None:
        """Store ``new`` as a matrix version, mark the change approved, note the registry change
        and append the record, in one transaction; ``ChangeRefused`` when the newest stored
        version is no longer the change's base."""
        ...


def parse_proposal(rows: Iterable[tuple[int, Mapping[str, str]]], source: str) -> Cells:
    """Rows ``item, role, channel, access`` (a ``matrix.csv`` without version columns) as cells.

    Every row is checked; every problem is reported as ``file:line: field: message``.
    """
    cells: Cells = {}
    problems: list[str] = []
    seen: dict[CellKey, int] = {}
    excluded = False
    for line, row in rows:
        try:
            item = row.get("item", "").strip()
            if item not in CATALOGUE:
                raise _Bad("item", f"unknown item {item!r}")
            role = _enum(Role, row.get("role", ""), "role")
            channel = _enum(Channel, row.get("channel", ""), "channel")
            access = _enum(Access, row.get("access", ""), "access")
            key = CellKey(item, role, channel)
            if is_excluded(CATALOGUE[item], channel):
                excluded = True
                raise _Bad(
                    "item",
                    f"group {CATALOGUE[item].group} is never released through {channel}: "
                    "a change may not touch it",
                )
            try:
                check_cell(key, access)
            except InvalidCell as exc:
                raise _Bad("access", str(exc)) from exc
            if key in seen:
                raise _Bad("item", f"{key} is already set on line {seen[key]}")
            seen[key] = line
            cells[key] = access
        except _Bad as bad:
            problems.append(f"{source}:{line}: {bad.field}: {bad.message}")
    if not problems and not cells:
        problems.append(f"{source}: the proposal sets no cell")
    if problems:
        raise ProposalRejected(problems, excluded)
    return cells


class _Bad(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message


def _enum(kind: Any, text: str, field: str) -> Any:
    try:
        return kind(text.strip())
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise _Bad(field, f"{text.strip()!r} is not one of {allowed}") from None


class MatrixChanges:
    def __init__(self, store: MatrixChangeStore, clock: Callable[[], Instant]) -> None:
        self.store = store
        self.clock = clock

    def draft(self, title: str, cells: Cells, actor: str) -> MatrixChange:
        actor = check_actor(actor)
        if not title.strip():
            raise ChangeRefused("a matrix change needs a title")
        for key, access in cells.items():  # the floor, again: callers may not have parsed a file
            if is_excluded(CATALOGUE[key.item], key.channel):
                raise ExcludedGroupTouched(
                    f"{key}: an excluded group may not be touched by a change"
                )
            check_cell(key, access)
        base = self._newest()
        after = {**base.cells, **cells}
        if after == base.cells:
            raise ChangeRefused(f"the proposal changes nothing in matrix v{base.version}")
        change = MatrixChange(
            0,
            title.strip(),
            ChangeStatus.DRAFT,
            base.version,
            tuple(sorted(cells.items(), key=lambda kv: str(kv[0]))),
            self.clock(),
            actor,
        )
        impact = self._impact(base, after, None)
        record = operator_record(
            actor,
            "matrix_change.drafted",
            "matrix_change",
            {"title": change.title, "base_version": base.version,
             "cells": [[str(k), a.value] for k, a in change.cells],
             "personal_data_newly_exposed": impact.as_json()["personal_data_newly_exposed"]},
        )  # fmt: skip
        return self.store.draft(change, record)

    def impact(self, change_id: int) -> Impact:
        change = self._get(change_id)
        base = self.store.version(change.base_version)
        if base is None:
            raise ChangeRefused(f"matrix v{change.base_version} is not stored")
        after_version = change.new_version if change.status is ChangeStatus.APPROVED else None
        return self._impact(base, {**base.cells, **dict(change.cells)}, after_version)

    def diff_versions(self, before: int, after: int) -> Impact:
        older, newer = self.store.version(before), self.store.version(after)
        for number, found in ((before, older), (after, newer)):
            if found is None:
                raise ChangeNotFound(f"no matrix version {number}")
        assert older is not None and newer is not None
        return self._impact(older, newer.cells, newer.version)

    def screen(
        self, change_id: int, screening: Screening, actor: str, stage2_reference: str = ""
    ) -> StoredScreening:
        actor = check_actor(actor)
        change = self._get(change_id)
        if change.status not in (ChangeStatus.DRAFT, ChangeStatus.SUBMITTED):
            raise ChangeRefused(
                f"change {change_id} is {change.status}: it can no longer be screened"
            )
        stored = StoredScreening(
            change_id, screening, stage2_reference.strip(), self.clock(), actor
        )
        record = operator_record(
            actor,
            "dpia.screened",
            f"matrix_change:{change_id}",
            {"answered_yes": list(screening.answered_yes), "risks": list(screening.risks),
             "requires_stage2": screening.requires_stage2,
             "stage2_reference": stored.stage2_reference, "outcome": screening.outcome},
        )  # fmt: skip
        self.store.add_screening(stored, record)
        return stored

    def submit(self, change_id: int, actor: str) -> MatrixChange:
        actor = check_actor(actor)
        change = self._get(change_id)
        self._expect(change, ChangeStatus.DRAFT, "submitted")
        submitted = replace(change, status=ChangeStatus.SUBMITTED, submitted_at=self.clock())
        record = operator_record(actor, "matrix_change.submitted", f"matrix_change:{change_id}")
        self.store.set_status(submitted, ChangeStatus.DRAFT, record)
        return submitted

    def reject(self, change_id: int, actor: str, reason: str) -> MatrixChange:
        actor = check_actor(actor)
        if not reason.strip():
            raise ChangeRefused("a rejection states its reason")
        change = self._get(change_id)
        self._expect(change, ChangeStatus.SUBMITTED, "rejected")
        rejected = replace(
            change,
            status=ChangeStatus.REJECTED,
            decided_at=self.clock(),
            decided_by=actor,
            reason=reason.strip(),
        )
        record = operator_record(
            actor, "matrix_change.rejected", f"matrix_change:{change_id}", {"reason": reason}
        )
        self.store.set_status(rejected, ChangeStatus.SUBMITTED, record)
        return rejected

    def approve(self, change_id: int, actor: str, effective_from: Instant) -> MatrixChange:
        actor = check_actor(actor)
        change = self._get(change_id)
        self._expect(change, ChangeStatus.SUBMITTED, "approved")
        at = self.clock()
        newest = self._newest()
        if newest.version != change.base_version:
            raise ChangeRefused(
                f"change {change_id} was drafted on matrix v{change.base_version}, but v{newest.version} "
                "is now the newest: draft it again on the newest version"
            )
        if effective_from <= newest.effective_from:
            raise ChangeRefused(
                f"effective_from must be after the newest version's ({format_instant(newest.effective_from)}): "
                "decisions already made keep their version"
            )
        if effective_from < at:
            raise ChangeRefused(
                f"effective_from {format_instant(effective_from)} is in the past: decisions already "
                "made keep their version"
            )
        impact = self.impact(change_id)
        screening = self.store.screening(change_id)
        if impact.newly_exposes_personal_data:
            exposed = ", ".join(str(c.key) for c in impact.diff.personal_data_newly_exposed)
            if screening is None:
                raise ScreeningRequired(
                    f"change {change_id} newly exposes personal data ({exposed}): it needs a "
                    "completed DPIA screening before approval"
                )
        stage2_missing = screening is not None and not screening.stage2_reference
        if screening is not None and screening.screening.requires_stage2 and stage2_missing:
            raise ScreeningRequired(
                f"the screening of change {change_id} requires Stage 2 "
                f"({screening.screening.outcome}): screen it again with the Stage 2 DPIA's "
                "reference once that DPIA is approved"
            )
        new_version = newest.version + 1
        approved = replace(
            change,
            status=ChangeStatus.APPROVED,
            decided_at=at,
            decided_by=actor,
            effective_from=effective_from,
            new_version=new_version,
        )
        cells = {**newest.cells, **dict(change.cells)}
        record = operator_record(
            actor,
            "matrix.approved",
            f"matrix_change:{change_id}",
            {"new_version": new_version, "effective_from": format_instant(effective_from),
             "base_version": change.base_version,
             "cells": [[str(k), a.value] for k, a in change.cells],
             "screening": screening.screening.outcome if screening else "none (no personal data newly exposed)"},
        )  # fmt: skip
        self.store.approve(
            approved, MatrixVersionCells(new_version, effective_from, cells), at, record
        )
        return approved

    def get(self, change_id: int) -> MatrixChange:
        return self._get(change_id)

    def screening(self, change_id: int) -> StoredScreening | None:
        return self.store.screening(change_id)

    def changes(self) -> list[MatrixChange]:
        return self.store.changes()

    def _get(self, change_id: int) -> MatrixChange:
        change = self.store.get(change_id)
        if change is None:
            raise ChangeNotFound(f"no matrix change {change_id}")
        return change

    def _newest(self) -> MatrixVersionCells:
        newest = self.store.newest_version()
        if newest is None:
            raise ChangeRefused("no matrix version is stored yet: import matrix.csv first")
        return newest

    @staticmethod
    def _expect(change: MatrixChange, status: ChangeStatus, verb: str) -> None:
        if change.status is not status:
            raise ChangeRefused(
                f"change {change.change_id} is {change.status}; only a {status} change can be {verb}"
            )

    def _impact(
        self, base: MatrixVersionCells, after: Mapping[CellKey, Access], after_version: int | None
    ) -> Impact:
        diff = diff_cells(base.cells, after)
        roles = {c.key.role for c in diff.changes}
        holders: dict[Role, list[str]] = {role: [] for role in sorted(roles)}
        for party in self.store.parties():
            for role in party.roles & roles:
                holders[role].append(party.party_id)
        return Impact(
            base.version,
            after_version,
            diff,
            {role: tuple(sorted(ids)) for role, ids in holders.items()},
        )
