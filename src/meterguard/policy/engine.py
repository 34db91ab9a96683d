"""``decide``: ACCESS-RULES sections 7 and 8, checks in the order given; the first that fails decides.

The engine reads no clock and does no I/O: the decision time ``at`` comes with the request and the
facts come from a ``Snapshot``. Reasons are recorded as (template, arguments) and formatted only
when an explanation is read, which keeps a decision to a few microseconds.
"""

from __future__ import annotations

from meterguard.domain.catalogue import CATALOGUE, Channel, Item, SubjectKind, is_excluded
from meterguard.domain.consents import DEVICE_JOIN_PURPOSE
from meterguard.domain.devices import Device
from meterguard.domain.period import Period, PeriodSet
from meterguard.domain.roles import (
    APPOINTMENT_ROLES,
    ROLE_BY_CODE,
    Role,
    responsible_supplier_role,
)
from meterguard.policy.decision import At, Code, Decision, Outcome, Reason
from meterguard.policy.matrix import Access
from meterguard.policy.relationships import consent_periods, describe_basis, non_consent_periods
from meterguard.policy.requests import Action, DataRequest, Request, ServiceRequest
from meterguard.policy.snapshot import Snapshot

_ACTIONS = {action.value: action for action in Action}
_NONE: tuple[object, ...] = ()
_ALLOW, _PARTIAL, _DENY = Outcome.ALLOW, Outcome.PARTIAL, Outcome.DENY
_NOT_PERMITTED, _CURRENT, _COMMUNITY = Access.NOT_PERMITTED, Access.CURRENT, Access.COMMUNITY
_METER_POINT = SubjectKind.METER_POINT
# Checks that depend on the item and channel alone, answered once here instead of per decision.
_EXCLUDED = frozenset(
    (name, channel)
    for name, item in CATALOGUE.items()
    for channel in Channel
    if is_excluded(item, channel)
)
_APPOINTMENT_ROLES = frozenset(APPOINTMENT_ROLES)
_EMPTY_BY_METER: dict[str, PeriodSet] = {}
_EMPTY = PeriodSet.empty()
_make = Decision._make  # tuple.__new__: several times cheaper than the keyword constructor
_period = Period.known_valid


def decide(request: Request, facts: Snapshot, trace: bool = False) -> Decision:
    """Decide one request. ``trace`` also records every check that passed, for ``explain``."""
    if isinstance(request, DataRequest):
        return decide_data(request, facts, trace)
    return decide_service(request, facts, trace)


def _deny(rid: str, code: Code, reasons: list[Reason], template: str, *args: object) -> Decision:
    reasons.append((template, args))
    return _make((rid, _DENY, code, (), tuple(reasons)))


def _refuse_who(request: Request, facts: Snapshot, reasons: list[Reason]) -> Decision:
    """The answer to a request that fails check 1 or 2 (callers test the common case inline)."""
    party = facts.parties.get(request.party_id)
    if party is None:
        return _deny(
            request.request_id, Code.UNKNOWN_PARTY, reasons, "no party {}", request.party_id
        )
    return _deny(
        request.request_id,
        Code.ROLE_NOT_HELD,
        reasons,
        "party {} does not hold role {}",
        party.party_id,
        request.role,
    )


def _subject(
    rid: str, subject: str, wants_device: bool, what: str, facts: Snapshot, reasons: list[Reason]
) -> tuple[str, Device | None, Decision | None]:
    """Check 4: the subject exists and is of the kind the item or action is about; its meter point."""
    if not wants_device:
        if subject in facts.fuels:
            facts.ensure_meter(subject)
            return subject, None, None
        if facts.device(subject) is not None:
            return (
                "",
                None,
                _deny(
                    rid,
                    Code.UNKNOWN_SUBJECT,
                    reasons,
                    "{} is a device; {} is about a meter point",
                    subject,
                    what,
                ),
            )
        return "", None, _deny(rid, Code.UNKNOWN_SUBJECT, reasons, "no meter point {}", subject)
    device = facts.device(subject)
    if device is not None:
        facts.ensure_meter(device.mpxn)
        return device.mpxn, device, None
    if subject in facts.fuels:
        return (
            "",
            None,
            _deny(
                rid,
                Code.UNKNOWN_SUBJECT,
                reasons,
                "{} is a meter point; {} is about a device",
                subject,
                what,
            ),
        )
    return "", None, _deny(rid, Code.UNKNOWN_SUBJECT, reasons, "no device {}", subject)


def decide_data(request: DataRequest, facts: Snapshot, trace: bool = False) -> Decision:
    rid = request.request_id
    reasons: list[Reason] = []  # with ``trace``, every passed check; always, the decisive ones

    # 1-2: who (the common case tested inline; ``_who`` words the refusals)
    party = facts.parties.get(request.party_id)
    role = ROLE_BY_CODE.get(request.role)
    if party is None or role is None or role not in party.roles:
        return _refuse_who(request, facts, reasons)
    if trace:
        reasons.append(("party {} ({}) holds role {}", (party.party_id, party.name, role)))

    # 3-4: what, and about what
    item = CATALOGUE.get(request.item)
    if item is None:
        return _deny(rid, Code.UNKNOWN_ITEM, reasons, "no data item {}", request.item)
    subject = request.subject
    device: Device | None = None
    if item.subject is _METER_POINT and subject in facts.fuels:  # the common case, inline
        mpxn = subject
        if facts.source is not None:
            facts.ensure_meter(mpxn)
    else:
        mpxn, device, refusal = _subject(
            rid, subject, item.subject is not _METER_POINT, item.name, facts, reasons
        )
        if refusal is not None:
            return refusal
    if trace:
        if device is not None:
            reasons.append(
                (
                    "item {} ({}, {}) about device {} ({}) at meter point {}",
                    (item.name, item.group, item.kind, subject, device.device_type, mpxn),
                )
            )
        else:
            reasons.append(
                (
                    "item {} ({}, {}) about {} meter point {}",
                    (item.name, item.group, item.kind, facts.fuels[mpxn], mpxn),
                )
            )

    # 5: the asked period, clipped to the decision time
    at, start, end = request.at, request.start, request.end
    asked: Period | None = None
    if start is None:
        if item.is_series:
            return _deny(
                rid, Code.BAD_PERIOD, reasons, "{} is a series: from is required", item.name
            )
        if trace:
            reasons.append(("asks for the current value at {}", (At(at),)))
    else:
        if end is not None and start >= end:
            return _deny(
                rid, Code.BAD_PERIOD, reasons, "from {} is not before to {}", At(start), At(end)
            )
        if start >= at:
            return _deny(
                rid,
                Code.BAD_PERIOD,
                reasons,
                "from {} is not before the decision time {}: no data from the future exists",
                At(start),
                At(at),
            )
        asked = _period(start, at if end is None or end > at else end)  # start < both, checked
        if trace:
            reasons.append(("asks for data time {}, cut at the decision time {}", (asked, At(at))))

    # 6: the floor no matrix can lift
    channel = request.channel
    if (item.name, channel) in _EXCLUDED:
        return _deny(
            rid,
            Code.EXCLUDED_GROUP,
            reasons,
            "group {} is never released through {}",
            item.group,
            channel,
        )
    if trace:
        reasons.append(("group {} may leave through {}", (item.group, channel)))

    # 7-8: the matrix in force at the decision time
    version = facts.matrix.in_force_at(at)
    if version is None:
        return _deny(
            rid, Code.NOT_IN_MATRIX, reasons, "no matrix version is in force at {}", At(at)
        )
    access = version.by_tuple.get((item.name, role, channel))
    if access is None:
        return _deny(
            rid,
            Code.NOT_IN_MATRIX,
            reasons,
            "matrix v{} has no cell {}/{}/{} (not configured)",
            version.version,
            item.name,
            role,
            channel,
        )
    reasons.append(
        ("matrix v{} cell {}/{}/{} = {}", (version.version, item.name, role, channel, access))
    )
    if access is _NOT_PERMITTED:
        return _make((rid, _DENY, Code.NOT_PERMITTED, (), tuple(reasons)))
    if access is _COMMUNITY:
        if asked is None:
            reasons.append(("community view: any subject, current value", _NONE))
            return _make((rid, _ALLOW, Code.OK, (), tuple(reasons)))
        return _deny(
            rid, Code.HISTORIC_NOT_PERMITTED, reasons, "community view gives the current value only"
        )

    # 9-10: the relationship
    if role in _APPOINTMENT_ROLES:  # the common case, inlined
        periods = facts.held.get((party.party_id, role), _EMPTY_BY_METER).get(mpxn, _EMPTY)
        reasons.append(("appointment {} {}", (role, periods)))
    elif role is Role.OU:
        match = consent_periods(facts, party.party_id, mpxn, item.group, request.purpose, at)
        if not match.matching:
            return _deny(
                rid,
                Code.NO_CONSENT,
                reasons,
                "no consent of {} at {} covers {} for purpose '{}'",
                party.party_id,
                mpxn,
                item.group,
                request.purpose,
            )
        if not match.active:
            states = ", ".join(
                f"{c.consent_id} {c.state_at(at, facts.occupancy_of(c.consumer_id, mpxn))}"
                for c in match.matching
            )
            return _deny(
                rid,
                Code.CONSENT_NOT_ACTIVE,
                reasons,
                "no matching consent is active at {}: {}",
                At(at),
                states,
            )
        periods = match.periods
        reasons.append(describe_basis(role, periods, device, match.active))
    else:
        periods = non_consent_periods(facts, party, role, mpxn, device)
        reasons.append(describe_basis(role, periods, device))
    if not periods:
        return _make((rid, _DENY, Code.NO_RELATIONSHIP, (), tuple(reasons)))

    # 11-13: current or historic, and the entitled window
    return _window(rid, item, access, periods, asked, at, reasons)


def _window(
    rid: str,
    item: Item,
    access: Access,
    periods: PeriodSet,
    asked: Period | None,
    at: int,
    reasons: list[Reason],
) -> Decision:
    stretch = periods.stretch_containing(at)
    if (access is _CURRENT or asked is None) and stretch is None:
        return _deny(
            rid,
            Code.NOT_CURRENT,
            reasons,
            "the relationship does not hold at the decision time {}",
            At(at),
        )
    if asked is None:
        reasons.append(("current value, and the relationship holds now", _NONE))
        return _make((rid, _ALLOW, Code.OK, (), tuple(reasons)))
    if access is _CURRENT and not item.is_series:
        return _deny(
            rid,
            Code.HISTORIC_NOT_PERMITTED,
            reasons,
            "cell C gives reference data's current value only",
        )
    window = periods.periods
    if access is _CURRENT:
        assert stretch is not None  # checked above: C needs the relationship at the decision time
        window = (stretch,)
    allowed = _clip(window, asked)
    reasons.append(("asked {}", (asked,)))
    if not allowed:
        return _deny(
            rid, Code.OUTSIDE_ENTITLED_PERIOD, reasons, "no part of it lies in the entitled periods"
        )
    if allowed[0] == asked:
        return _make((rid, _ALLOW, Code.OK, allowed, tuple(reasons)))
    reasons.append(("allowed {}", (PeriodSet._from_merged(allowed),)))
    return _make((rid, _PARTIAL, Code.PARTIAL, allowed, tuple(reasons)))


def _clip(window: tuple[Period, ...], asked: Period) -> tuple[Period, ...]:
    """asked ∩ window, for a window already sorted, disjoint and merged."""
    low, high = asked
    pieces = []
    for start, end in window:
        if end <= low:
            continue
        if start >= high:
            break
        pieces.append(_period(start if start > low else low, end if end < high else high))
    return tuple(pieces)


def decide_service(request: ServiceRequest, facts: Snapshot, trace: bool = False) -> Decision:
    rid = request.request_id
    reasons: list[Reason] = []
    party = facts.parties.get(request.party_id)
    role = ROLE_BY_CODE.get(request.role)
    if party is None or role is None or role not in party.roles:
        return _refuse_who(request, facts, reasons)
    action = _ACTIONS.get(request.action)
    if action is None:
        return _deny(rid, Code.UNKNOWN_ITEM, reasons, "no service action {}", request.action)
    if trace:
        reasons.append(
            (
                "party {} ({}) holds role {}; service action {}",
                (party.party_id, party.name, role, action),
            )
        )

    subject, at = request.subject, request.at
    mpxn, device, refusal = _subject(
        rid, subject, action is Action.UPDATE_CREDENTIALS_COS, action.value, facts, reasons
    )
    if refusal is not None:
        return refusal

    fuel = facts.fuels.get(mpxn)
    supplier_role = responsible_supplier_role(fuel) if fuel else None
    responsible = facts.holder_at(mpxn, supplier_role, at) if supplier_role else None
    reasons.append(("Responsible Supplier of {} at {}: {}", (mpxn, At(at), responsible or "none")))
    is_responsible = role is supplier_role and responsible == party.party_id

    if action is Action.UPDATE_CREDENTIALS_COS:
        assert device is not None
        if not is_responsible:
            return _deny(
                rid,
                Code.NOT_ELIGIBLE,
                reasons,
                "SR 6.23 only from the Responsible Supplier acting as {}",
                supplier_role,
            )
        if device.credentials_party_id == party.party_id:
            return _deny(
                rid,
                Code.ALREADY_HOLDS_CREDENTIALS,
                reasons,
                "{} already holds the credentials of device {}",
                party.party_id,
                device.guid,
            )
        reasons.append(
            (
                "credentials of {} move from {} to {}",
                (device.guid, device.credentials_party_id or "nobody", party.party_id),
            )
        )
        return _make((rid, _ALLOW, Code.OK, (), tuple(reasons)))

    if is_responsible:
        reasons.append(
            ("{} is the Responsible Supplier acting as {}", (party.party_id, supplier_role))
        )
        return _make((rid, _ALLOW, Code.OK, (), tuple(reasons)))
    if role is Role.OU:
        active = [
            c
            for c in facts.consents_at.get((party.party_id, mpxn), ())
            if c.purpose == DEVICE_JOIN_PURPOSE
            and c.is_active_at(at, facts.occupancy_of(c.consumer_id, mpxn))
        ]
        if active:
            reasons.append(
                ("active consent {} of purpose {}", (active[0].consent_id, DEVICE_JOIN_PURPOSE))
            )
            return _make((rid, _ALLOW, Code.OK, (), tuple(reasons)))
        return _deny(
            rid,
            Code.NOT_ELIGIBLE,
            reasons,
            "no active consent of purpose {} at {}",
            DEVICE_JOIN_PURPOSE,
            mpxn,
        )
    return _deny(
        rid,
        Code.NOT_ELIGIBLE,
        reasons,
        "{} needs the Responsible Supplier ({}) or an Other User with consent",
        action,
        supplier_role,
    )
