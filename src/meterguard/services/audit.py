"""The audit log (ACCESS-RULES 10): what was released, refused or changed, in a hash chain.

Every release of data, every refusal, every consent change and every delivery is recorded before
the data leaves. Each entry carries the hash of the entry before it, and its own hash is SHA-256
over its canonical JSON (keys sorted, no spaces, UTF-8), so changing, removing or reordering any
entry breaks the chain from that entry on, and ``verify_chain`` names the first broken one.

Callers describe what happened with an ``AuditRecord``; the store numbers it, stamps it and chains
it, in the caller's own transaction where data leaves with it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from meterguard.domain.period import Period, PeriodSet
from meterguard.domain.time import BEGINNING, FOREVER, Instant, format_instant

GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One thing that happened, as its caller describes it.

    ``action`` is the data item, the service action, or an event name such as
    ``consent.withdrawn``, ``delivery`` or ``export``. ``mpxn`` is the meter point the data is
    about (for a device, its meter point): the consumer's view of the log selects on it, and on
    the data periods (``allowed``, else ``asked``) overlapping the consumer's occupancy.
    """

    party_id: str
    role: str
    channel: str
    action: str
    subject: str
    decision: str
    code: str
    mpxn: str | None = None
    asked: tuple[Period, ...] = ()
    allowed: tuple[Period, ...] = ()
    basis: str = ""
    request_id: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)
    # For an entry that covers many meter points (a bulk extract): each one's periods released.
    # Stored beside the entry for the consumers' view, not in it; ``released_digest`` of it goes
    # into ``detail`` (``with_released``), so the chain covers it all the same.
    released: Mapping[str, tuple[Period, ...]] = field(default_factory=dict)

    @property
    def data_envelope(self) -> tuple[Instant, Instant] | None:
        """The smallest period holding every asked and allowed period, if any."""
        periods = (*self.asked, *self.allowed)
        if not periods:
            return None
        return min(p.start for p in periods), max(p.end for p in periods)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """A record as the log holds it: numbered, stamped and chained."""

    seq: int
    at: Instant
    record: AuditRecord
    prev_hash: str
    hash: str

    def canonical(self) -> dict[str, Any]:
        return canonical_fields(self.seq, self.at, self.record, self.prev_hash)

    def as_json(self) -> dict[str, Any]:
        return {**self.canonical(), "hash": self.hash}


RELEASED_DIGEST = "released_sha256"


def released_digest(released: Mapping[str, Iterable[Period]]) -> str:
    """SHA-256 over one ``mpxn start end start end ...`` line per meter point, in mpxn order."""
    digest = hashlib.sha256()
    for mpxn in sorted(released):
        bounds = " ".join(f"{p.start} {p.end}" for p in released[mpxn])
        digest.update(f"{mpxn} {bounds}\n".encode())
    return digest.hexdigest()


def with_released(record: AuditRecord, released: Mapping[str, Iterable[Period]]) -> AuditRecord:
    """``record`` naming each meter point it released and the periods, its digest in detail."""
    by_meter = {mpxn: PeriodSet(periods).periods for mpxn, periods in sorted(released.items())}
    detail = {**record.detail, RELEASED_DIGEST: released_digest(by_meter)}
    return replace(record, released=by_meter, detail=detail)


def periods_json(periods: Iterable[Period]) -> list[list[str]]:
    return [[format_instant(p.start), format_instant(p.end)] for p in periods]


def canonical_fields(seq: int, at: Instant, r: AuditRecord, prev_hash: str) -> dict[str, Any]:
    """Exactly the fields the hash covers."""
    return {
        "seq": seq,
        "at": format_instant(at),
        "party_id": r.party_id,
        "role": r.role,
        "channel": r.channel,
        "action": r.action,
        "subject": r.subject,
        "mpxn": r.mpxn or "",
        "asked": periods_json(r.asked),
        "allowed": periods_json(r.allowed),
        "decision": r.decision,
        "code": r.code,
        "basis": r.basis,
        "request_id": r.request_id,
        "detail": dict(r.detail),
        "prev_hash": prev_hash,
    }


def canonical_json(fields: Mapping[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def chain(
    records: Sequence[AuditRecord], at: Instant, last_seq: int, last_hash: str
) -> list[AuditEntry]:
    """Number and chain ``records`` after the entry (``last_seq``, ``last_hash``)."""
    entries = []
    prev = last_hash
    for offset, record in enumerate(records, start=1):
        seq = last_seq + offset
        digest = entry_hash(canonical_fields(seq, at, record, prev))
        entries.append(AuditEntry(seq, at, record, prev, digest))
        prev = digest
    return entries


def chain_groups(
    groups: Sequence[tuple[Sequence[AuditRecord], Instant]], last_seq: int, last_hash: str
) -> list[AuditEntry]:
    """Chain several groups of records one after another, each group stamped with its own time
    (the releases of one group commit, each decided at its own moment)."""
    entries: list[AuditEntry] = []
    for records, at in groups:
        linked = chain(records, at, last_seq, last_hash)
        if linked:
            last_seq, last_hash = linked[-1].seq, linked[-1].hash
            entries.extend(linked)
    return entries


@dataclass(frozen=True, slots=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken: int | None = None  # the seq of the first entry that does not verify
    reason: str = ""
    head_seq: int = 0

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked:,} entries, head at seq {self.head_seq}"
        return f"audit chain BROKEN at seq {self.first_broken}: {self.reason} ({self.checked:,} entries checked)"


def verify_chain(
    stored: Iterable[tuple[Mapping[str, Any], str]], head: tuple[int, str] | None = None
) -> ChainReport:
    """Check (canonical fields, stored hash) pairs in seq order, from the first entry.

    An entry is broken when its fields no longer hash to its stored hash (it was altered), when
    its ``prev_hash`` is not the previous entry's hash, or when its seq does not follow the
    previous one (an entry was removed). ``head`` is the (seq, hash) the log says is newest: a
    log cut short at its end is caught there.
    """
    prev_seq, prev_hash, checked = 0, GENESIS_HASH, 0
    for fields, stored_hash in stored:
        seq = int(fields["seq"])
        if seq != prev_seq + 1:
            return ChainReport(
                False, checked, prev_seq + 1, f"entry {prev_seq + 1} is missing (next is {seq})"
            )
        if fields["prev_hash"] != prev_hash:
            return ChainReport(
                False, checked, seq, "its prev_hash is not the previous entry's hash"
            )
        if entry_hash(fields) != stored_hash:
            return ChainReport(
                False, checked, seq, "its content does not match its hash (it was altered)"
            )
        prev_seq, prev_hash, checked = seq, stored_hash, checked + 1
    if head is not None and head != (prev_seq, prev_hash):
        if head[0] > prev_seq:
            return ChainReport(
                False,
                checked,
                prev_seq + 1,
                f"the log ends at seq {prev_seq} but its head says {head[0]}",
            )
        return ChainReport(False, checked, head[0], "the head does not match the newest entry")
    return ChainReport(True, checked, head_seq=prev_seq)


def overlaps_any(entry: AuditEntry, periods: Iterable[Period]) -> bool:
    """Whether the entry's data periods (allowed, else asked) overlap any of ``periods``.

    An entry with no data period (a consent change with no window, say) overlaps nothing."""
    own = entry.record.allowed or entry.record.asked
    return any(p.overlaps(q) for p in own for q in periods)


def whole_time() -> tuple[Period, ...]:
    return (Period(BEGINNING, FOREVER),)


class AuditLog(Protocol):
    """Where services record what they did. ``append`` commits on its own; services that release
    data in a transaction of their own use the store's in-transaction append instead."""

    def append(self, records: Sequence[AuditRecord], at: Instant) -> list[AuditEntry]: ...
