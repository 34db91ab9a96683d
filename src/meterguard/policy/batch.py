"""Deciding many data requests at once: the rules of ``engine.py`` over columns of integers.

The batch engine compiles the snapshot into arrays (a dense permissions cube per matrix version;
each party's relationship periods per (party, role, meter point), sorted) and runs every check of
ACCESS-RULES section 7 as a vectorised step over all requests. Requests whose answer needs more
than the arrays hold (an Other User with two active consents at one meter point, a consent whose
entitled periods are split) are decided by ``decide`` itself, so both paths give one answer; tests
compare them on generated worlds.

Codes and allowed periods come out as arrays; explanations are made on demand by ``decide``, so
a batch pays for strings only where someone reads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from meterguard.domain.catalogue import CATALOGUE, Channel, Group, SubjectKind, is_excluded
from meterguard.domain.period import Period, PeriodSet
from meterguard.domain.roles import ROLES, Relationship, Role
from meterguard.domain.time import BEGINNING, FOREVER
from meterguard.policy.decision import Code, Decision
from meterguard.policy.engine import decide_data
from meterguard.policy.matrix import Access
from meterguard.policy.requests import DataRequest
from meterguard.policy.snapshot import Snapshot

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
I8 = npt.NDArray[np.int8]
Bools = npt.NDArray[np.bool_]

NONE = np.int64(-(2**63))  # "no instant given" in the from/to columns

ROLES_IN_ORDER: tuple[Role, ...] = tuple(Role)
CHANNELS: tuple[Channel, ...] = tuple(Channel)
ITEMS: tuple[str, ...] = tuple(CATALOGUE)
GROUPS: tuple[Group, ...] = tuple(Group)
CODES: tuple[Code, ...] = tuple(Code)
_CODE = {code: np.int8(i) for i, code in enumerate(CODES)}
# Text to index, for encoding requests; -1 (an unknown name) lands on each table's padding entry.
_ROLE_INDEX = {r.value: i for i, r in enumerate(ROLES_IN_ORDER)}
_CHANNEL_INDEX = {c.value: i for i, c in enumerate(CHANNELS)}
_ITEM_INDEX = {name: i for i, name in enumerate(ITEMS)}
# 0 appointment, 1 consent, 2 occupancy (MEU), 3 device owner (MAP), 4 manufacturer (DM); by role.
_KIND_OF_RELATIONSHIP = {
    Relationship.APPOINTMENT: 0,
    Relationship.CONSENT: 1,
    Relationship.OCCUPANCY: 2,
    Relationship.DEVICE_OWNERSHIP: 3,
    Relationship.DEVICE_MANUFACTURER: 4,
}
_RELATIONSHIP_KIND = np.array(
    [_KIND_OF_RELATIONSHIP[ROLES[r].relationship] for r in ROLES_IN_ORDER] + [0], dtype=np.int64
)
_UNDECIDED = np.int8(-1)
_FALLBACK = np.int8(-2)  # decided by the scalar engine
_ACCESS = {Access.NOT_PERMITTED: 0, Access.CURRENT: 1, Access.HISTORIC: 2, Access.COMMUNITY: 3}


@dataclass(frozen=True, slots=True)
class RequestColumns:
    """Requests as integer columns, indexes into the compiled engine's tables (-1: unknown)."""

    party: I32
    role: I32
    channel: I32
    item: I32
    subject: I32
    start: I64  # NONE: no "from" (a current-value request)
    end: I64  # NONE: open-ended
    at: I64
    purpose: I32
    generation: int = 0  # of the compiled indexes these columns point into

    def __len__(self) -> int:
        return len(self.party)


@dataclass(frozen=True, slots=True)
class BatchDecisions:
    """Codes per request, and the allowed periods as a compressed list (request i owns
    ``starts[offsets[i]:offsets[i + 1]]``)."""

    codes: I8
    offsets: I64
    starts: I64
    ends: I64
    fallback: dict[int, Decision]

    def code(self, i: int) -> Code:
        return CODES[int(self.codes[i])]

    def allowed(self, i: int) -> tuple[Period, ...]:
        if i in self.fallback:
            return self.fallback[i].allowed
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        return tuple(
            Period(int(s), int(e))
            for s, e in zip(self.starts[lo:hi], self.ends[lo:hi], strict=True)
        )


class _PeriodTable:
    """Sorted keys, each with its periods (CSR): the relationship periods of one kind."""

    def __init__(self, rows: dict[int, PeriodSet]) -> None:
        keys = sorted(rows)
        self.keys = np.array(keys, dtype=np.int64)
        counts = [len(rows[k]) for k in keys]
        self.offsets = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(counts, out=self.offsets[1:])
        self.starts = np.array([p.start for k in keys for p in rows[k]], dtype=np.int64)
        self.ends = np.array([p.end for k in keys for p in rows[k]], dtype=np.int64)
        self.widest = max(counts, default=0)

    def lookup(self, keys: I64) -> tuple[I64, I64]:
        """For each key: the first index of its periods and how many there are (0: none)."""
        if not len(self.keys):
            zeros = np.zeros(len(keys), dtype=np.int64)
            return zeros, zeros
        pos = np.searchsorted(self.keys, keys)
        pos = np.minimum(pos, len(self.keys) - 1)
        found = self.keys[pos] == keys
        lo = self.offsets[pos]
        count = np.where(found, self.offsets[pos + 1] - lo, 0)
        return lo, count


class BatchEngine:
    """The snapshot compiled into arrays; recompiled when the snapshot's revision changes."""

    # Beyond this many meter points changed since the arrays were compiled, recompile them.
    RECOMPILE_AFTER = 2_000

    def __init__(self, facts: Snapshot) -> None:
        self.facts = facts
        self._meter_index: dict[str, int] = {}
        self._seen = 0
        self._dirty_meters: set[int] = set()
        self._dirty: I64 = np.zeros(0, dtype=np.int64)
        self._generation = 0
        self._epoch = 0
        self._compile()

    def _fresh(self) -> None:
        """Recompile after a registry-wide change or many changed meter points; otherwise note
        the changed meter points, whose requests the scalar engine answers until then."""
        if self.facts.change_epoch != self._epoch:  # the change log was trimmed: start afresh
            self._compile()
            return
        changed = self.facts.changes[self._seen :]
        if not changed:
            return
        if None in changed or len(self._dirty_meters) + len(changed) > self.RECOMPILE_AFTER:
            self._compile()
            return
        self._seen = len(self.facts.changes)
        for mpxn in changed:
            index = self._meter_index.get(mpxn or "")
            if index is not None:
                self._dirty_meters.add(index)
        self._dirty = np.array(sorted(self._dirty_meters), dtype=np.int64)

    def _compile(self) -> None:
        facts = self.facts
        facts.load_all()  # the arrays cover the whole registry
        self._generation += 1
        self._epoch = facts.change_epoch
        self._seen = len(facts.changes)
        self._dirty_meters = set()
        self._dirty = np.zeros(0, dtype=np.int64)
        self.party_ids = list(facts.parties)
        self.party_index = {p: i for i, p in enumerate(self.party_ids)}
        self.meter_ids = list(facts.fuels)
        self.device_ids = list(facts.devices)
        self.subject_ids = self.meter_ids + self.device_ids
        self.subject_index = {s: i for i, s in enumerate(self.subject_ids)}
        meter_index = {m: i for i, m in enumerate(self.meter_ids)}
        self._meter_index = meter_index
        n_meters = len(self.meter_ids)
        self.n_meters = n_meters
        self.purposes: dict[str, int] = {}

        roles_held = np.zeros((len(self.party_ids) + 1, len(ROLES_IN_ORDER) + 1), dtype=np.bool_)
        manufacturer_of_party = np.full(len(self.party_ids) + 1, -1, dtype=np.int64)
        manufacturers: dict[str, int] = {}
        for i, pid in enumerate(self.party_ids):
            party = facts.parties[pid]
            for role in party.roles:
                roles_held[i, ROLES_IN_ORDER.index(role)] = True
            if party.manufacturer:
                manufacturer_of_party[i] = manufacturers.setdefault(
                    party.manufacturer, len(manufacturers)
                )
        self.roles_held = roles_held
        self.manufacturer_of_party = manufacturer_of_party

        # Subjects: meter points first, then devices; each knows its meter point.
        self.subject_is_device = np.array(
            [False] * n_meters + [True] * len(self.device_ids), dtype=np.bool_
        )
        meter_of_subject = list(range(n_meters))
        owner = [-1] * n_meters
        maker = [-2] * n_meters
        for guid in self.device_ids:
            device = facts.devices[guid]
            meter_of_subject.append(meter_index.get(device.mpxn, -1))
            owner.append(self.party_index.get(device.owner_party_id or "", -1))
            maker.append(manufacturers.get(device.manufacturer, -3))
        # One padding entry at the end, where an unknown subject's index (-1) lands.
        self.subject_is_device = np.append(self.subject_is_device, False)
        self.meter_of_subject = np.array([*meter_of_subject, 0], dtype=np.int64)
        self.owner_of_subject = np.array([*owner, -1], dtype=np.int64)
        self.maker_of_subject = np.array([*maker, -3], dtype=np.int64)

        # Items and channels.
        self.item_is_series = np.array(
            [CATALOGUE[i].is_series for i in ITEMS] + [False], dtype=np.bool_
        )
        self.item_is_device = np.array(
            [CATALOGUE[i].subject is SubjectKind.DEVICE for i in ITEMS] + [False], dtype=np.bool_
        )
        self.item_group = np.array(
            [GROUPS.index(CATALOGUE[i].group) for i in ITEMS] + [0], dtype=np.int64
        )
        self.excluded = np.array(
            [[is_excluded(CATALOGUE[i], c) for c in CHANNELS] for i in ITEMS]
            + [[False] * len(CHANNELS)],
            dtype=np.bool_,
        )

        # The matrix: one dense cube per version, -1 where a cell is not configured.
        versions = facts.matrix.versions
        self.version_starts = np.array([v.effective_from for v in versions], dtype=np.int64)
        self.version_numbers = [v.version for v in versions]
        cube = np.full(
            (max(len(versions), 1), len(ITEMS) + 1, len(ROLES_IN_ORDER) + 1, len(CHANNELS)),
            -1,
            dtype=np.int8,
        )
        for v, version in enumerate(versions):
            for key, access in version.cells.items():
                cube[
                    v,
                    ITEMS.index(key.item),
                    ROLES_IN_ORDER.index(key.role),
                    CHANNELS.index(key.channel),
                ] = _ACCESS[access]
        self.cube = cube

        # Relationship periods keyed by (party, role, meter): appointments and MEU occupancy.
        rows: dict[int, PeriodSet] = {}
        for (pid, role), by_meter in facts.held.items():
            for mpxn, periods in by_meter.items():
                rows[
                    self._key(self.party_index[pid], ROLES_IN_ORDER.index(role), meter_index[mpxn])
                ] = periods
        meu = ROLES_IN_ORDER.index(Role.MEU)
        for consumer, by_meter in facts.occupied.items():
            if consumer in self.party_index:
                for mpxn, periods in by_meter.items():
                    rows[self._key(self.party_index[consumer], meu, meter_index[mpxn])] = periods
        self.held = _PeriodTable(rows)

        # Consents keyed by (party, meter); one row per consent, in the order decide() sees them.
        consent_rows: list[tuple[int, ...]] = []
        for (pid, mpxn), consents in facts.consents_at.items():
            pair = self._key(self.party_index[pid], 0, meter_index[mpxn])
            for seq, consent in enumerate(consents):
                occupancy = facts.occupancy_of(consent.consumer_id, mpxn)
                entitled = consent.entitled_periods(occupancy)
                occupied = occupancy.periods[0] if occupancy else Period(FOREVER - 1, FOREVER)
                window = entitled.periods[0] if entitled else Period(FOREVER - 1, FOREVER)
                groups = sum(1 << GROUPS.index(group) for group in consent.data_groups)
                consent_rows.append(
                    (
                        pair,
                        seq,
                        self.purposes.setdefault(consent.purpose, len(self.purposes)),
                        groups,
                        consent.granted_at,
                        consent.expires_at,
                        FOREVER if consent.withdrawn_at is None else consent.withdrawn_at,
                        FOREVER if consent.notice_sent_at is None else consent.notice_sent_at,
                        occupied.start,
                        occupied.end,
                        int(len(occupancy) <= 1 and len(entitled) <= 1),
                        window.start if entitled else FOREVER,
                        window.end if entitled else FOREVER,
                    )
                )
        consent_rows.sort(key=lambda row: (row[0], row[1]))
        table = np.array(consent_rows, dtype=np.int64).reshape(-1, 13)
        (
            self.consent_key,
            _,
            self.consent_purpose,
            self.consent_groups,
            self.consent_granted,
            self.consent_expires,
            self.consent_withdrawn,
            self.consent_notice,
            self.consent_occ_start,
            self.consent_occ_end,
            simple,
            self.consent_ent_start,
            self.consent_ent_end,
        ) = (np.ascontiguousarray(table[:, j]) for j in range(13))
        self.consent_simple = simple.astype(np.bool_)
        keys, first = np.unique(self.consent_key, return_index=True)
        self.consent_keys = keys
        self.consent_first = first.astype(np.int64)
        self.consent_count = np.diff(np.append(first, len(self.consent_key))).astype(np.int64)
        self.consents_widest = int(self.consent_count.max()) if len(self.consent_count) else 0

    def _key(self, party: int, role: int, meter: int) -> int:
        return (party * 16 + role) * max(self.n_meters, 1) + meter

    # -- encoding ------------------------------------------------------------------------------

    def encode(self, requests: Sequence[DataRequest]) -> RequestColumns:
        """Columns for Python request objects; ``index_of`` encodes a dictionary-encoded column's
        distinct values instead, which is faster for files."""
        self._fresh()
        party_index, subject_index, purposes = self.party_index, self.subject_index, self.purposes
        role_index, channel_index, item_index = _ROLE_INDEX, _CHANNEL_INDEX, _ITEM_INDEX
        return RequestColumns(
            np.array([party_index.get(r.party_id, -1) for r in requests], dtype=np.int32),
            np.array([role_index.get(r.role, -1) for r in requests], dtype=np.int32),
            np.array([channel_index[r.channel] for r in requests], dtype=np.int32),
            np.array([item_index.get(r.item, -1) for r in requests], dtype=np.int32),
            np.array([subject_index.get(r.subject, -1) for r in requests], dtype=np.int32),
            np.array([NONE if r.start is None else r.start for r in requests], dtype=np.int64),
            np.array([NONE if r.end is None else r.end for r in requests], dtype=np.int64),
            np.array([r.at for r in requests], dtype=np.int64),
            np.array(
                [purposes.setdefault(r.purpose, len(purposes)) for r in requests], dtype=np.int32
            ),
            self._generation,
        )

    def index_of(self, names: Sequence[str], kind: str) -> I32:
        """Indexes for distinct names (a dictionary-encoded column's dictionary)."""
        self._fresh()
        if (
            kind == "purpose"
        ):  # a purpose no consent names still keeps its name, for the scalar engine
            purposes = self.purposes
            return np.array(
                [purposes.setdefault(name, len(purposes)) for name in names], dtype=np.int32
            )
        table = {
            "party": self.party_index,
            "subject": self.subject_index,
            "role": _ROLE_INDEX,
            "channel": _CHANNEL_INDEX,
            "item": _ITEM_INDEX,
        }[kind]
        return np.array([table.get(name, -1) for name in names], dtype=np.int32)

    # -- deciding ------------------------------------------------------------------------------

    def decide(
        self, columns: RequestColumns, requests: Sequence[DataRequest] | None = None
    ) -> BatchDecisions:
        """Decide every request. ``requests`` (the same requests as objects) lets the rare
        requests beyond the arrays be decided by the scalar engine; without it they are rebuilt
        from the columns."""
        self._fresh()
        if columns.generation != self._generation:
            if requests is None:
                raise ValueError(
                    "the columns were encoded before the engine recompiled; encode them again"
                )
            columns = self.encode(requests)
        n = len(columns)
        code = np.full(n, _UNDECIDED, dtype=np.int8)
        P, R, C, It, S = columns.party, columns.role, columns.channel, columns.item, columns.subject
        start, end, at = columns.start, columns.end, columns.at

        def settle(mask: Bools, c: Code) -> None:
            code[mask & (code == _UNDECIDED)] = _CODE[c]

        # 1-4
        settle(P < 0, Code.UNKNOWN_PARTY)
        settle((R < 0) | ~self.roles_held[P, R], Code.ROLE_NOT_HELD)
        settle(It < 0, Code.UNKNOWN_ITEM)
        wants_device = self.item_is_device[It]
        settle((S < 0) | (self.subject_is_device[S] != wants_device), Code.UNKNOWN_SUBJECT)
        # 5
        current = start == NONE
        series = self.item_is_series[It]
        bad = (
            (current & series)
            | (~current & (end != NONE) & (start >= end))
            | (~current & (start >= at))
        )
        settle(bad, Code.BAD_PERIOD)
        asked_start = start
        asked_end = np.where((end == NONE) | (end > at), at, end)
        # 6
        settle(self.excluded[It, C], Code.EXCLUDED_GROUP)
        # 7-8
        version = np.searchsorted(self.version_starts, at, side="right") - 1
        settle(version < 0, Code.NOT_IN_MATRIX)
        access = self.cube[np.maximum(version, 0), It, R, C]
        access = np.where(version < 0, -1, access)
        settle(access < 0, Code.NOT_IN_MATRIX)
        settle(access == 0, Code.NOT_PERMITTED)
        community = access == 3
        settle(community & current, Code.OK)
        settle(community, Code.HISTORIC_NOT_PERMITTED)

        # 9-10: relationship periods, padded to K columns per request
        meter = self.meter_of_subject[S]
        kind = _RELATIONSHIP_KIND[R]
        open_ = code == _UNDECIDED
        K = max(self.held.widest, 1)
        rel_start = np.full((n, K), FOREVER, dtype=np.int64)
        rel_end = np.full((n, K), FOREVER, dtype=np.int64)
        rel_count = np.zeros(n, dtype=np.int64)

        # appointments and MEU occupancy
        by_table = open_ & ((kind == 0) | (kind == 2))
        idx = np.nonzero(by_table)[0]
        if len(idx):
            keys = (P[idx].astype(np.int64) * 16 + R[idx]) * max(self.n_meters, 1) + meter[idx]
            lo, count = self.held.lookup(keys)
            rel_count[idx] = count
            for j in range(K):
                has = count > j
                rows = idx[has]
                rel_start[rows, j] = self.held.starts[lo[has] + j]
                rel_end[rows, j] = self.held.ends[lo[has] + j]
        # MAP ownership and DM manufacture: all time, for device subjects only
        device_subject = self.subject_is_device[S]
        owns = open_ & (kind == 3) & device_subject & (self.owner_of_subject[S] == P)
        makes = (
            open_
            & (kind == 4)
            & device_subject
            & (self.maker_of_subject[S] == self.manufacturer_of_party[P])
        )
        all_time = owns | makes
        rel_count[all_time] = 1
        rel_start[all_time, 0] = BEGINNING
        rel_end[all_time, 0] = FOREVER
        # Requests about meter points changed since the arrays were compiled: the scalar engine.
        fallback = (
            open_ & np.isin(meter, self._dirty) if len(self._dirty) else np.zeros(n, dtype=np.bool_)
        )
        # Other Users: consents
        ou = open_ & (kind == 1)
        if ou.any():
            self._consents(
                np.nonzero(ou)[0], columns, meter, code, rel_start, rel_end, rel_count, fallback
            )
        settle(open_ & (rel_count == 0) & ~fallback, Code.NO_RELATIONSHIP)

        # 11-13
        open_ = (code == _UNDECIDED) & ~fallback
        cells = np.arange(K)
        valid = cells[None, :] < rel_count[:, None]
        holds = valid & (rel_start <= at[:, None]) & (at[:, None] < rel_end)
        stretch = holds.any(axis=1)
        is_current = access == 1
        settle(open_ & (is_current | current) & ~stretch, Code.NOT_CURRENT)
        settle(open_ & current, Code.OK)
        settle(open_ & is_current & ~series, Code.HISTORIC_NOT_PERMITTED)
        open_ = (code == _UNDECIDED) & ~fallback
        window = np.where(is_current[:, None], holds, valid)
        piece_start = np.maximum(rel_start, asked_start[:, None])
        piece_end = np.minimum(rel_end, asked_end[:, None])
        piece = window & (piece_start < piece_end) & open_[:, None]
        pieces = piece.sum(axis=1)
        settle(open_ & (pieces == 0), Code.OUTSIDE_ENTITLED_PERIOD)
        first = np.argmax(piece, axis=1)
        rows = np.arange(n)
        whole = (
            (pieces == 1)
            & (piece_start[rows, first] == asked_start)
            & (piece_end[rows, first] == asked_end)
        )
        settle(open_ & whole, Code.OK)
        settle(open_, Code.PARTIAL)

        counts = np.where(np.isin(code, [_CODE[Code.OK], _CODE[Code.PARTIAL]]), pieces, 0)
        counts[current] = 0
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        keep = piece & (counts > 0)[:, None]
        starts, ends = piece_start[keep], piece_end[keep]

        decided = self._fallback(np.nonzero(fallback)[0], columns, requests, code)
        return BatchDecisions(code, offsets, starts, ends, decided)

    def _consents(
        self,
        idx: npt.NDArray[np.intp],
        columns: RequestColumns,
        meter: npt.NDArray[np.int64],
        code: I8,
        rel_start: I64,
        rel_end: I64,
        rel_count: I64,
        fallback: Bools,
    ) -> None:
        """ACCESS-RULES 6 and 7 step 9 for Other Users, one consent column at a time."""
        if not len(self.consent_keys):
            code[idx] = _CODE[Code.NO_CONSENT]
            return
        keys = columns.party[idx].astype(np.int64) * 16 * max(self.n_meters, 1) + meter[idx]
        pos = np.minimum(np.searchsorted(self.consent_keys, keys), len(self.consent_keys) - 1)
        found = self.consent_keys[pos] == keys
        first = self.consent_first[pos]
        count = np.where(found, self.consent_count[pos], 0)
        at = columns.at[idx]
        group_bit = np.int64(1) << self.item_group[columns.item[idx]]
        purpose = columns.purpose[idx]
        matching = np.zeros(len(idx), dtype=np.int64)
        active = np.zeros(len(idx), dtype=np.int64)
        complex_ = np.zeros(len(idx), dtype=np.bool_)
        chosen = np.zeros(len(idx), dtype=np.int64)
        for j in range(self.consents_widest):
            has = count > j
            c = np.where(has, first + j, 0)
            match = (
                has
                & (self.consent_purpose[c] == purpose)
                & ((self.consent_groups[c] & group_bit) != 0)
            )
            live = (
                match
                & (self.consent_granted[c] <= at)
                & (at < self.consent_expires[c])
                & (at < self.consent_withdrawn[c])
                & (self.consent_notice[c] <= at)
                & (self.consent_occ_start[c] <= at)
                & (at < self.consent_occ_end[c])
            )
            complex_ |= match & ~self.consent_simple[c]
            matching += match
            chosen = np.where(live & (active == 0), c, chosen)
            active += live
        none_match = matching == 0
        code[idx[none_match]] = _CODE[Code.NO_CONSENT]
        inactive = ~none_match & (active == 0) & ~complex_
        code[idx[inactive]] = _CODE[Code.CONSENT_NOT_ACTIVE]
        # Two active consents (their periods must be united) or split periods: the scalar engine.
        hard = ~none_match & (complex_ | (active > 1))
        fallback[idx[hard]] = True
        one = ~none_match & ~hard & (active == 1)
        rows = idx[one]
        entitled_start = self.consent_ent_start[chosen[one]]
        entitled_end = self.consent_ent_end[chosen[one]]
        has_periods = entitled_start < entitled_end
        rel_start[rows, 0] = entitled_start
        rel_end[rows, 0] = entitled_end
        rel_count[rows] = has_periods.astype(np.int64)

    def _fallback(
        self,
        idx: npt.NDArray[np.intp],
        columns: RequestColumns,
        requests: Sequence[DataRequest] | None,
        code: I8,
    ) -> dict[int, Decision]:
        decided: dict[int, Decision] = {}
        purposes = {i: p for p, i in self.purposes.items()}
        for i in idx.tolist():
            if requests is not None:
                request = requests[i]
            else:
                request = DataRequest(
                    str(i),
                    self.party_ids[columns.party[i]],
                    ROLES_IN_ORDER[columns.role[i]].value,
                    CHANNELS[columns.channel[i]],
                    ITEMS[columns.item[i]],
                    self.subject_ids[columns.subject[i]],
                    None if columns.start[i] == NONE else int(columns.start[i]),
                    None if columns.end[i] == NONE else int(columns.end[i]),
                    int(columns.at[i]),
                    purposes.get(int(columns.purpose[i]), ""),
                )
            decision = decide_data(request, self.facts)
            decided[i] = decision
            code[i] = _CODE[decision.code]
        return decided
