"""Bulk extracts (the DDP): the compiled windows run by a readings engine, audited before handover.

The order is the promise of ACCESS-RULES 10: the extract is written under a temporary name, the
audit entry (with the row count and the periods released per meter point) is committed, and only
then is the file renamed into place. A refused extract writes no file and is audited too. A
failure at any step before the rename leaves no file behind.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from meterguard.domain.catalogue import Channel
from meterguard.domain.period import Period, PeriodSet
from meterguard.policy.bulk import BulkPlan, Window, periods_by_meter
from meterguard.policy.decision import Code
from meterguard.services.audit import AuditLog, AuditRecord, with_released

# Up to this many meter points, the audit entry lists each one's released periods; beyond it, the
# periods are summarised (distinct period lists with their counts) and the windows are digested.
LISTED_METER_POINTS = 50
LISTED_PERIOD_SHAPES = 20

ProgressCallback = Callable[[int], None]  # rows written so far


class ReadingsEngine(Protocol):
    """Runs the compiled windows over the readings it holds."""

    name: str

    def select(self, windows: Sequence[Window], tag: bool) -> Iterator[Any]:
        """Record batches of ``mpxn, ts, kwh`` (and ``party_id`` when ``tag``) in (mpxn, ts) order.

        Without ``tag``: the readings some window holds. With ``tag``: every reading, with the
        party of the window that holds it, or none."""
        ...


class ExportFile(Protocol):
    """An output written under a temporary name, renamed into place by ``publish``."""

    def write(self, batch: Any) -> int: ...

    def publish(self) -> str: ...

    def discard(self) -> None: ...


class ExportRefused(Exception):
    def __init__(self, code: Code, reason: str, seq: int) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.seq = seq


@dataclass(frozen=True, slots=True)
class ExportReport:
    path: str
    rows: int
    meter_points: int
    windows: int
    audit_seq: int


def export_entitled(
    plan: BulkPlan,
    engine: ReadingsEngine,
    output: ExportFile,
    audit: AuditLog,
    now: Callable[[], int],
    on_progress: ProgressCallback | None = None,
) -> ExportReport:
    """One party's extract: only the readings its entitled windows hold."""
    request = plan.request
    base = {
        "party_id": request.party_id,
        "role": request.role,
        "channel": str(Channel.BULK),
        "action": "export",
        "subject": request.item,
        "basis": f"matrix v{plan.version}" if plan.version is not None else "",
    }
    asked = request.asked
    asked_periods = (asked,) if asked is not None else ()
    if not plan.allowed:
        assert plan.denied is not None
        output.discard()
        entries = audit.append(
            [
                AuditRecord(
                    **base,
                    decision="deny",
                    code=str(plan.denied),
                    asked=asked_periods,
                    detail={"engine": engine.name, "reason": plan.reason, "at": request.at},
                )
            ],
            now(),
        )
        raise ExportRefused(plan.denied, plan.reason, entries[0].seq)

    rows = _write_all(engine, plan.windows, False, output, on_progress)
    released = PeriodSet(Period(w.start, w.end) for w in plan.windows)
    detail = {"engine": engine.name, "rows": rows, "at": request.at, **released_detail(plan)}
    record = AuditRecord(
        **base,
        decision="allow",
        code=str(Code.OK),
        asked=asked_periods,
        allowed=released.periods,
        detail=detail,
    )
    # Each meter point and its periods beside the entry: each consumer's access log shows it.
    record = with_released(record, plan.periods_by_meter())
    return _audit_then_publish(record, output, audit, now, rows, plan.windows)


def tag_all(
    windows: Sequence[Window],
    actor: str,
    engine: ReadingsEngine,
    output: ExportFile,
    audit: AuditLog,
    now: Callable[[], int],
    on_progress: ProgressCallback | None = None,
) -> ExportReport:
    """Every reading with the supplier entitled to it (for routing backfills and audits)."""
    rows = _write_all(engine, windows, True, output, on_progress)
    record = AuditRecord(
        party_id=actor,
        role="",
        channel=str(Channel.BULK),
        action="export.tag_all",
        subject="readings",
        decision="allow",
        code=str(Code.OK),
        detail={
            "engine": engine.name,
            "rows": rows,
            "supplier_windows": len(windows),
            "windows_sha256": windows_digest(windows),
        },
    )
    record = with_released(record, periods_by_meter(windows))
    return _audit_then_publish(record, output, audit, now, rows, windows)


def _write_all(
    engine: ReadingsEngine,
    windows: Sequence[Window],
    tag: bool,
    output: ExportFile,
    on_progress: ProgressCallback | None,
) -> int:
    rows = 0
    try:
        for batch in engine.select(windows, tag):
            rows += output.write(batch)
            if on_progress is not None:
                on_progress(rows)
    except BaseException:
        output.discard()
        raise
    return rows


def _audit_then_publish(
    record: AuditRecord,
    output: ExportFile,
    audit: AuditLog,
    now: Callable[[], int],
    rows: int,
    windows: Sequence[Window],
) -> ExportReport:
    try:
        entries = audit.append([record], now())
    except BaseException:
        output.discard()  # not audited: never handed over
        raise
    path = output.publish()
    meter_points = len({w.mpxn for w in windows})
    return ExportReport(path, rows, meter_points, len(windows), entries[0].seq)


def windows_digest(windows: Sequence[Window]) -> str:
    """SHA-256 over the windows, one ``mpxn start end party`` line each, in order: anyone holding
    the registry as of ``at`` can compile the windows again and compare."""
    digest = hashlib.sha256()
    for w in windows:
        digest.update(f"{w.mpxn} {w.start} {w.end} {w.party_id}\n".encode())
    return digest.hexdigest()


def released_detail(plan: BulkPlan) -> dict[str, Any]:
    """The periods released per meter point, compactly.

    Always: the number of meter points and windows, and the windows' digest. Then either each
    meter point's periods (up to ``LISTED_METER_POINTS``), or the distinct period lists with how
    many meter points share each (the most common ``LISTED_PERIOD_SHAPES``; a supplier's meter
    points mostly share the asked period, the rest differ by a change of supplier)."""
    by_meter = plan.periods_by_meter()
    detail: dict[str, Any] = {
        "meter_points": len(by_meter),
        "windows": len(plan.windows),
        "windows_sha256": windows_digest(plan.windows),
    }
    if len(by_meter) <= LISTED_METER_POINTS:
        detail["periods"] = {mpxn: _text(periods) for mpxn, periods in by_meter.items()}
        return detail
    shapes = Counter(" ".join(_text(periods)) for periods in by_meter.values())
    common = shapes.most_common(LISTED_PERIOD_SHAPES)
    detail["period_shapes"] = [{"periods": shape, "meter_points": n} for shape, n in common]
    detail["other_shapes"] = len(shapes) - len(common)
    return detail


def _text(periods: list[Period]) -> list[str]:
    return [str(p) for p in periods]
