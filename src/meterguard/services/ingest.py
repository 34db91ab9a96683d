"""``meterguard ingest``: check each message, route it, and commit it to the mailboxes in batches.

A message that cannot be one (no id, unknown kind, a time that is not UTC, an alert without a
code, an unknown meter point or device, a device at another meter point) is rejected with the
file, line and field. A message already stored (same ``message_id``) is a duplicate and dropped.
Every other message is stored once, with a delivery for each recipient, or in quarantine.

Each batch of messages commits with its deliveries and its audit entries in one transaction, and
``message_id`` is the primary key of the stored messages: a run killed part-way leaves whole
batches only, and running the same file again delivers the rest exactly once.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from meterguard.domain.period import Period
from meterguard.domain.time import DAY, BadInstant, format_instant, parse_instant
from meterguard.policy.routing import KINDS, READ, Outcome, Reason, Router, normalise_alert_code
from meterguard.policy.snapshot import Snapshot
from meterguard.services.audit import AuditRecord
from meterguard.services.corrections import CorrectionReport, apply_corrections
from meterguard.services.routing_ports import (
    MESSAGE,
    QUARANTINED,
    ROUTED,
    IngestBatch,
    NewDelivery,
    RoutingStore,
    StoredMessage,
)

MESSAGE_COLUMNS = ("message_id", "mpxn", "device_guid", "ts", "kind", "alert_code", "payload")
REQUIRED_COLUMNS = ("message_id", "mpxn", "device_guid", "ts", "kind")
DEFAULT_BATCH_SIZE = 5_000
# A device's clock may run a little ahead of the hub's; a data time further ahead is no data.
FUTURE_TOLERANCE = DAY
MAX_LISTED_REJECTIONS = 1000
_MAX_ID = 128
_MAX_CODE = 16
HUB = "hub"  # the party an audit entry names when the hub itself acts


@dataclass(frozen=True, slots=True)
class RawMessage:
    line: int
    fields: dict[str, Any]
    problem: str = ""  # set when the line could not even be read (bad JSON)


class MessageSource(Protocol):
    name: str

    def columns(self) -> list[str]: ...

    def rows(self) -> Iterator[RawMessage]: ...


@dataclass(frozen=True, slots=True)
class Rejection:
    file: str
    line: int
    column: str
    reason: str  # a code: BAD_MESSAGE, BAD_TIME, or the router's reason
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.message}"


class IngestRefused(ValueError):
    """The file as a whole cannot be ingested (a column is missing); nothing was written."""


@dataclass
class IngestReport:
    file: str
    delivered: int = 0  # messages stored with at least one delivery
    deliveries: int = 0
    quarantined: int = 0
    duplicates: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    rejected: Counter[str] = field(default_factory=Counter)  # by reason
    corrections: CorrectionReport | None = None

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    def reject(self, rejection: Rejection) -> None:
        self.rejected[rejection.reason] += 1
        if len(self.rejections) < MAX_LISTED_REJECTIONS:
            self.rejections.append(rejection)

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "delivered": self.delivered,
            "deliveries": self.deliveries,
            "quarantined": self.quarantined,
            "duplicates": self.duplicates,
            "rejected": dict(sorted(self.rejected.items())),
        }


@dataclass(frozen=True, slots=True)
class _Checked:
    message: StoredMessage
    outcome: Outcome
    recipients: tuple[tuple[str, str], ...]
    reason: str


class IngestService:
    def __init__(
        self,
        store: RoutingStore,
        facts: Snapshot,
        critical_codes: Callable[[], list[str]],
        clock: Callable[[], int],
    ) -> None:
        self.store = store
        self.facts = facts
        self.critical_codes = critical_codes
        self.clock = clock

    def router(self) -> Router:
        """A router over the live snapshot and the critical alerts list in force now."""
        return Router(self.facts, self.critical_codes())

    def correct(self, at: int | None = None) -> CorrectionReport:
        """Apply appointment corrections the deliveries have not yet seen."""
        return apply_corrections(self.store, self.router(), self.clock() if at is None else at)

    def ingest(
        self,
        source: MessageSource,
        *,
        at: int | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        on_batch: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Ingest every message of ``source`` as of ``at`` (default: now)."""
        header = source.columns()
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise IngestRefused(
                f"{source.name}:1: {missing[0]}: column is missing from the header"
                + (f" (also {', '.join(missing[1:])})" if missing[1:] else "")
            )
        now = self.clock() if at is None else at
        report = IngestReport(source.name)
        # Routing must see every committed appointment correction first.
        report.corrections = self.correct(now)
        router = self.router()
        seen: set[str] = set()
        pending: list[_Checked] = []
        for raw in source.rows():
            checked = self._check(source.name, raw, router, now, report)
            if checked is None:
                continue
            if checked.message.message_id in seen:
                report.duplicates += 1
                continue
            seen.add(checked.message.message_id)
            pending.append(checked)
            if len(pending) >= batch_size:
                self._commit(pending, now, report)
                if on_batch is not None:
                    on_batch(len(seen))
                pending = []
        if pending:
            self._commit(pending, now, report)
        return report

    def _check(
        self, file: str, raw: RawMessage, router: Router, now: int, report: IngestReport
    ) -> _Checked | None:
        def reject(column: str, reason: str, message: str) -> None:
            report.reject(Rejection(file, raw.line, column, reason, message))

        if raw.problem:
            reject("-", "BAD_MESSAGE", raw.problem)
            return None
        f = raw.fields
        texts: dict[str, str] = {}
        for name in ("message_id", "mpxn", "device_guid", "kind", "alert_code"):
            value = f.get(name)
            if value is None:
                value = ""
            if not isinstance(value, str):
                reject(name, "BAD_MESSAGE", f"{value!r} is not text")
                return None
            texts[name] = value.strip()
        for name in ("message_id", "mpxn", "device_guid", "kind"):
            if not texts[name]:
                reject(name, "BAD_MESSAGE", "is required")
                return None
        if len(texts["message_id"]) > _MAX_ID:
            reject("message_id", "BAD_MESSAGE", f"is longer than {_MAX_ID} characters")
            return None
        kind = texts["kind"]
        if kind not in KINDS:
            reject("kind", "BAD_MESSAGE", f"{kind!r} is not one of {', '.join(KINDS)}")
            return None
        code = "" if kind == READ else normalise_alert_code(texts["alert_code"])
        if kind != READ and not code:
            reject("alert_code", "BAD_MESSAGE", "an alert needs its alert code")
            return None
        if len(code) > _MAX_CODE:
            reject("alert_code", "BAD_MESSAGE", f"is longer than {_MAX_CODE} characters")
            return None
        ts = _instant(f.get("ts"))
        if isinstance(ts, str):
            reject("ts", "BAD_TIME", ts)
            return None
        if ts > now + FUTURE_TOLERANCE:
            reject("ts", "BAD_TIME", f"{format_instant(ts)} is in the future")
            return None
        payload = f.get("payload")
        if payload is not None and not isinstance(payload, str):
            payload = json.dumps(payload, sort_keys=True)

        route = router.route(texts["mpxn"], texts["device_guid"], ts, kind, code)
        if route.outcome is Outcome.REJECT:
            assert route.reason is not None
            column = "mpxn" if route.reason is Reason.UNKNOWN_METER_POINT else "device_guid"
            reject(column, route.reason.value, _REJECTION_TEXT[route.reason].format(**texts))
            return None
        quarantined = route.outcome is Outcome.QUARANTINE
        message = StoredMessage(
            texts["message_id"],
            texts["mpxn"],
            texts["device_guid"],
            ts,
            kind,
            code,
            payload if payload is not None else "",
            now,
            QUARANTINED if quarantined else ROUTED,
            route.reason.value if quarantined and route.reason else "",
        )
        return _Checked(
            message,
            route.outcome,
            tuple((party, basis.value) for party, basis in route.recipients),
            message.reason,
        )

    def _commit(self, pending: list[_Checked], now: int, report: IngestReport) -> None:
        counts = Counter[str]()

        def build(known: set[str]) -> IngestBatch:
            counts.clear()
            messages: list[StoredMessage] = []
            deliveries: list[NewDelivery] = []
            held: dict[str, list[StoredMessage]] = defaultdict(list)
            for checked in pending:
                message = checked.message
                if message.message_id in known:
                    counts["duplicates"] += 1
                    continue
                messages.append(message)
                if checked.outcome is Outcome.QUARANTINE:
                    counts["quarantined"] += 1
                    held[message.mpxn].append(message)
                    continue
                counts["delivered"] += 1
                for party, basis in checked.recipients:
                    deliveries.append(NewDelivery(party, message.message_id, MESSAGE, basis))
            counts["deliveries"] = len(deliveries)
            return IngestBatch(now, messages, deliveries, quarantine_audit(held))

        self.store.commit_batch(build, [c.message.message_id for c in pending])
        report.delivered += counts["delivered"]
        report.deliveries += counts["deliveries"]
        report.quarantined += counts["quarantined"]
        report.duplicates += counts["duplicates"]


def quarantine_audit(held: dict[str, list[StoredMessage]]) -> list[AuditRecord]:
    """One entry per meter point: which messages the hub held back, and why."""
    records = []
    for mpxn, messages in sorted(held.items()):
        first, last = min(m.ts for m in messages), max(m.ts for m in messages)
        records.append(
            AuditRecord(
                party_id=HUB,
                role="",
                channel="ROUTING",
                action="quarantine",
                subject=mpxn,
                decision="deny",
                code=messages[0].reason,
                mpxn=mpxn,
                asked=(Period(first, last + 1),),
                basis="ACCESS-RULES 9: no Responsible Supplier at the data time",
                detail={
                    "message_ids": [m.message_id for m in messages],
                    "reasons": sorted({m.reason for m in messages}),
                },
            )
        )
    return records


def _instant(value: Any) -> int | str:
    """The data time in seconds, or the reason it is none."""
    if isinstance(value, bool):
        return f"{value!r} is not a time"
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return parse_instant(value.strip())
        except BadInstant as exc:
            return str(exc)
    if value is None:
        return "is required"
    return f"{value!r} is not a UTC time written YYYY-MM-DDTHH:MM:SSZ"


_REJECTION_TEXT = {
    Reason.UNKNOWN_METER_POINT: "unknown meter point {mpxn!r}",
    Reason.UNKNOWN_DEVICE: "unknown device {device_guid!r}",
    Reason.DEVICE_NOT_AT_METER_POINT: "device {device_guid} is not at meter point {mpxn}",
}
