"""Matrix change requests, their DPIA screenings, and the matrix versions approval creates."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from meterguard.adapters.storage import schema
from meterguard.adapters.storage.audit_store import append_audit
from meterguard.adapters.storage.changes import REGISTRY, note_changes
from meterguard.adapters.storage.compliance_store import load_parties
from meterguard.domain.catalogue import Channel
from meterguard.domain.dpia import Answer, Screening
from meterguard.domain.parties import Party
from meterguard.domain.roles import Role
from meterguard.domain.time import Instant
from meterguard.policy.matrix import Access, CellKey
from meterguard.services.audit import AuditRecord
from meterguard.services.matrix_changes import (
    ChangeRefused,
    ChangeStatus,
    MatrixChange,
    MatrixVersionCells,
    StoredScreening,
)

_changes, _screenings = schema.matrix_changes, schema.dpia_screenings
_versions, _cells = schema.matrix_versions, schema.matrix_cells


def _version_cells(connection: Connection, version: int) -> MatrixVersionCells | None:
    start = connection.execute(
        select(_versions.c.effective_from).where(_versions.c.version == version)
    ).scalar()
    if start is None:
        return None
    rows = connection.execute(
        select(_cells.c.item, _cells.c.role, _cells.c.channel, _cells.c.access).where(
            _cells.c.version == version
        )
    )
    cells = {
        CellKey(item, Role(role), Channel(channel)): Access(access)
        for item, role, channel, access in rows
    }
    return MatrixVersionCells(version, int(start), cells)


def _newest(connection: Connection) -> int | None:
    return connection.execute(
        select(_versions.c.version).order_by(_versions.c.effective_from.desc()).limit(1)
    ).scalar()


def _change_row(change: MatrixChange) -> dict[str, Any]:
    return {
        "title": change.title,
        "status": change.status.value,
        "base_version": change.base_version,
        "cells": json.dumps(
            [[k.item, k.role.value, k.channel.value, a.value] for k, a in change.cells]
        ),
        "drafted_at": change.drafted_at,
        "drafted_by": change.drafted_by,
        "submitted_at": change.submitted_at,
        "decided_at": change.decided_at,
        "decided_by": change.decided_by,
        "reason": change.reason,
        "effective_from": change.effective_from,
        "new_version": change.new_version,
    }


def _change_from(r: Any) -> MatrixChange:
    cells = tuple(
        (CellKey(item, Role(role), Channel(channel)), Access(access))
        for item, role, channel, access in json.loads(r["cells"])
    )
    return MatrixChange(
        r["change_id"],
        r["title"],
        ChangeStatus(r["status"]),
        r["base_version"],
        cells,
        r["drafted_at"],
        r["drafted_by"],
        r["submitted_at"],
        r["decided_at"],
        r["decided_by"],
        r["reason"],
        r["effective_from"],
        r["new_version"],
    )


class SqlMatrixChangeStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def newest_version(self) -> MatrixVersionCells | None:
        with self.engine.connect() as connection:
            newest = _newest(connection)
            return None if newest is None else _version_cells(connection, newest)

    def version(self, version: int) -> MatrixVersionCells | None:
        with self.engine.connect() as connection:
            return _version_cells(connection, version)

    def parties(self) -> list[Party]:
        with self.engine.connect() as connection:
            return load_parties(connection)

    def draft(self, change: MatrixChange, record: AuditRecord) -> MatrixChange:
        with self.engine.begin() as connection:
            change_id = int(
                connection.execute(
                    insert(_changes).values(_change_row(change)).returning(_changes.c.change_id)
                ).scalar_one()
            )
            append_audit(connection, [_with_subject(record, change_id)], change.drafted_at)
        return replace(change, change_id=change_id)

    def get(self, change_id: int) -> MatrixChange | None:
        with self.engine.connect() as connection:
            row = (
                connection.execute(select(_changes).where(_changes.c.change_id == change_id))
                .mappings()
                .first()
            )
        return _change_from(row) if row else None

    def changes(self) -> list[MatrixChange]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(_changes).order_by(_changes.c.change_id)).mappings()
            return [_change_from(r) for r in rows]

    def screening(self, change_id: int) -> StoredScreening | None:
        with self.engine.connect() as connection:
            row = (
                connection.execute(
                    select(_screenings)
                    .where(_screenings.c.change_id == change_id)
                    .order_by(_screenings.c.screening_id.desc())
                    .limit(1)
                )
                .mappings()
                .first()
            )
        if row is None:
            return None
        answers = {
            ref: Answer(bool(yes), comment)
            for ref, (yes, comment) in json.loads(row["answers"]).items()
        }
        screening = Screening(answers, tuple(json.loads(row["risks"])))
        return StoredScreening(
            change_id, screening, row["stage2_reference"], row["screened_at"], row["screened_by"]
        )

    def add_screening(self, stored: StoredScreening, record: AuditRecord) -> None:
        answers = {ref: [a.yes, a.comment] for ref, a in stored.screening.answers.items()}
        with self.engine.begin() as connection:
            append_audit(connection, [record], stored.screened_at)
            connection.execute(
                insert(_screenings).values(
                    change_id=stored.change_id,
                    answers=json.dumps(answers, sort_keys=True),
                    risks=json.dumps(list(stored.screening.risks)),
                    requires_stage2=stored.screening.requires_stage2,
                    stage2_reference=stored.stage2_reference,
                    screened_at=stored.screened_at,
                    screened_by=stored.screened_by,
                )
            )

    def set_status(self, change: MatrixChange, expected: ChangeStatus, record: AuditRecord) -> None:
        at = change.decided_at or change.submitted_at or change.drafted_at
        with self.engine.begin() as connection:
            self._move(connection, change, expected)
            append_audit(connection, [record], at)

    def approve(
        self, change: MatrixChange, new: MatrixVersionCells, at: Instant, record: AuditRecord
    ) -> None:
        with self.engine.begin() as connection:
            # The audit append comes first: it takes the write lock that orders writers, so
            # the checks below see every version committed before this one.
            append_audit(connection, [record], at)
            newest = _newest(connection)
            if newest != change.base_version:
                raise ChangeRefused(
                    f"matrix v{newest} was stored meanwhile: draft change {change.change_id} again"
                )
            taken = connection.execute(
                select(func.count())
                .select_from(_versions)
                .where(
                    (_versions.c.version == new.version)
                    | (_versions.c.effective_from >= new.effective_from)
                )
            ).scalar_one()
            if taken:
                raise ChangeRefused(
                    f"matrix v{new.version} or a version in force from that time exists already"
                )
            connection.execute(
                insert(_versions).values(version=new.version, effective_from=new.effective_from)
            )
            connection.execute(
                insert(_cells),
                [
                    {
                        "version": new.version,
                        "item": k.item,
                        "role": k.role.value,
                        "channel": k.channel.value,
                        "access": a.value,
                    }
                    for k, a in sorted(new.cells.items(), key=lambda kv: str(kv[0]))
                ],
            )
            self._move(connection, change, ChangeStatus.SUBMITTED)
            note_changes(connection, [(None, REGISTRY)], at)

    @staticmethod
    def _move(connection: Connection, change: MatrixChange, expected: ChangeStatus) -> None:
        values = _change_row(change)
        moved = connection.execute(
            update(_changes)
            .where(_changes.c.change_id == change.change_id, _changes.c.status == expected.value)
            .values(values)
        ).rowcount
        if moved != 1:
            raise ChangeRefused(f"change {change.change_id} is no longer {expected}")


def _with_subject(record: AuditRecord, change_id: int) -> AuditRecord:
    return replace(record, subject=f"matrix_change:{change_id}")
