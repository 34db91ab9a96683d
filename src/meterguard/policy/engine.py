"""``decide``: ACCESS-RULES sections 7 and 8, checks in the order given; the first that fails decides.

The engine reads no clock and does no I/O: the decision time ``at`` comes with the request and the
facts come from a ``Snapshot``.
"""

from __future__ import annotations

from meterguard.domain.catalogue import CATALOGUE, Item, SubjectKind, is_excluded
from meterguard.domain.consents import DEVICE_JOIN_PURPOSE
from meterguard.domain.devices import Device
from meterguard.domain.period import Period, PeriodSet
from meterguard.domain.roles import Role, responsible_supplier_role
from meterguard.domain.time import format_instant
from meterguard.policy.decision import Code, Decision, Outcome
from meterguard.policy.matrix import Access, CellKey
from meterguard.policy.relationships import consent_periods, describe_basis, non_consent_periods
from meterguard.policy.requests import Action, DataRequest, Request, ServiceRequest
from meterguard.policy.snapshot import Snapshot

_ROLE_OF_CODE = {role.value: role for role in Role}
_ACTIONS = {action.value: action for action in Action}


def decide(request: Request, facts: Snapshot, trace: bool = False) -> Decision:
    """Decide one request. ``trace`` also records every check that passed, for ``explain``."""
    if isinstance(request, DataRequest):
        return decide_data(request, facts, trace)
    return decide_service(request, facts, trace)


def _deny(request_id: str, code: Code, steps: list[str]) -> Decision:
    return Decision(request_id, Outcome.DENY, code, (), tuple(steps))


def decide_data(request: DataRequest, facts: Snapshot, trace: bool = False) -> Decision:
    rid = request.request_id
    steps: list[str] = []  # with ``trace``, every passed check; always, the decisive ones

    def refuse(code: Code, why: str) -> Decision:
        steps.append(why)
        return Decision(rid, Outcome.DENY, code, (), tuple(steps))

    # 1-2: who
    party = facts.parties.get(request.party_id)
    if party is None:
        return refuse(Code.UNKNOWN_PARTY, f"no party {request.party_id}")
    role = _ROLE_OF_CODE.get(request.role)
    if role is None or role not in party.roles:
        return refuse(
            Code.ROLE_NOT_HELD, f"party {party.party_id} does not hold role {request.role}"
        )
    if trace:
        steps.append(f"party {party.party_id} ({party.name}) holds role {role}")

    # 3-4: what, and about what
    item = CATALOGUE.get(request.item)
    if item is None:
        return refuse(Code.UNKNOWN_ITEM, f"no data item {request.item}")
    subject = request.subject
    device: Device | None = None
    if item.subject is SubjectKind.METER_POINT:
        if subject not in facts.fuels:
            if subject in facts.devices:
                return refuse(
                    Code.UNKNOWN_SUBJECT,
                    f"{subject} is a device; {item.name} is about a meter point",
                )
            return refuse(Code.UNKNOWN_SUBJECT, f"no meter point {subject}")
        mpxn = subject
    else:
        device = facts.devices.get(subject)
        if device is None:
            if subject in facts.fuels:
                return refuse(
                    Code.UNKNOWN_SUBJECT,
                    f"{subject} is a meter point; {item.name} is about a device",
                )
            return refuse(Code.UNKNOWN_SUBJECT, f"no device {subject}")
        mpxn = device.mpxn
    if trace:
        about = (
            f"device {subject} ({device.device_type}) at meter point {mpxn}"
            if device
            else f"{facts.fuels[mpxn]} meter point {mpxn}"
        )
        steps.append(f"item {item.name} ({item.group}, {item.kind}) about {about}")

    # 5: the asked period, clipped to the decision time
    at, start, end = request.at, request.start, request.end
    current = start is None
    asked: Period | None = None
    if start is None:
        if item.is_series:
            return refuse(Code.BAD_PERIOD, f"{item.name} is a series: from is required")
        if trace:
            steps.append(f"asks for the current value at {format_instant(at)}")
    else:
        if end is not None and start >= end:
            return refuse(
                Code.BAD_PERIOD,
                f"from {format_instant(start)} is not before to {format_instant(end)}",
            )
        if start >= at:
            return refuse(
                Code.BAD_PERIOD,
                f"from {format_instant(start)} is not before the decision time {format_instant(at)}: no data from the future exists",
            )
        asked = Period(start, at if end is None or end > at else end)
        if trace:
            steps.append(
                f"asks for data time {asked}, cut at the decision time {format_instant(at)}"
            )

    # 6: the floor no matrix can lift
    channel = request.channel
    if is_excluded(item, channel):
        return refuse(
            Code.EXCLUDED_GROUP, f"group {item.group} is never released through {channel}"
        )
    if trace:
        steps.append(f"group {item.group} may leave through {channel}")

    # 7-8: the matrix in force at the decision time
    version = facts.matrix.in_force_at(at)
    if version is None:
        return refuse(Code.NOT_IN_MATRIX, f"no matrix version is in force at {format_instant(at)}")
    key = CellKey(item.name, role, channel)
    access = version.cells.get(key)
    if access is None:
        return refuse(
            Code.NOT_IN_MATRIX, f"matrix v{version.version} has no cell {key} (not configured)"
        )
    steps.append(f"matrix v{version.version} cell {key} = {access}")
    if access is Access.NOT_PERMITTED:
        return _deny(rid, Code.NOT_PERMITTED, steps)
    if access is Access.COMMUNITY:
        if current:
            steps.append("community view: any subject, current value")
            return Decision(rid, Outcome.ALLOW, Code.OK, (), tuple(steps))
        steps.append("community view gives the current value only")
        return _deny(rid, Code.HISTORIC_NOT_PERMITTED, steps)

    # 9-10: the relationship
    if role is Role.OU:
        match = consent_periods(facts, party.party_id, mpxn, item.group, request.purpose, at)
        if not match.matching:
            steps.append(
                f"no consent of {party.party_id} at {mpxn} covers {item.group} for purpose '{request.purpose}'"
            )
            return _deny(rid, Code.NO_CONSENT, steps)
        if not match.active:
            states = ", ".join(
                f"{c.consent_id} {c.state_at(at, facts.occupancy_of(c.consumer_id, mpxn))}"
                for c in match.matching
            )
            steps.append(f"no matching consent is active at {format_instant(at)}: {states}")
            return _deny(rid, Code.CONSENT_NOT_ACTIVE, steps)
        periods = match.periods
        steps.append(describe_basis(role, periods, device, match.active))
    else:
        periods = non_consent_periods(facts, party, role, mpxn, device)
        steps.append(describe_basis(role, periods, device))
    if not periods:
        return _deny(rid, Code.NO_RELATIONSHIP, steps)

    # 11-13: current or historic, and the entitled window
    return _window(rid, item, access, periods, asked, at, steps)


def _window(
    rid: str,
    item: Item,
    access: Access,
    periods: PeriodSet,
    asked: Period | None,
    at: int,
    steps: list[str],
) -> Decision:
    stretch = periods.stretch_containing(at)
    if (access is Access.CURRENT or asked is None) and stretch is None:
        steps.append(f"the relationship does not hold at the decision time {format_instant(at)}")
        return _deny(rid, Code.NOT_CURRENT, steps)
    if asked is None:
        steps.append("current value, and the relationship holds now")
        return Decision(rid, Outcome.ALLOW, Code.OK, (), tuple(steps))
    if access is Access.CURRENT and not item.is_series:
        steps.append("cell C gives reference data's current value only")
        return _deny(rid, Code.HISTORIC_NOT_PERMITTED, steps)
    window = periods
    if access is Access.CURRENT:
        assert stretch is not None  # checked above: C needs the relationship at the decision time
        window = PeriodSet((stretch,))
    allowed = window.intersection(PeriodSet((asked,))).periods
    steps.append(f"asked {asked}")
    if not allowed:
        steps.append("no part of it lies in the entitled periods")
        return _deny(rid, Code.OUTSIDE_ENTITLED_PERIOD, steps)
    if allowed == (asked,):
        return Decision(rid, Outcome.ALLOW, Code.OK, allowed, tuple(steps))
    steps.append("allowed " + ", ".join(str(p) for p in allowed))
    return Decision(rid, Outcome.PARTIAL, Code.PARTIAL, allowed, tuple(steps))


def decide_service(request: ServiceRequest, facts: Snapshot, trace: bool = False) -> Decision:
    rid = request.request_id
    party = facts.parties.get(request.party_id)
    if party is None:
        return _deny(rid, Code.UNKNOWN_PARTY, [f"no party {request.party_id}"])
    role = _ROLE_OF_CODE.get(request.role)
    if role is None or role not in party.roles:
        return _deny(
            rid, Code.ROLE_NOT_HELD, [f"party {party.party_id} does not hold role {request.role}"]
        )
    action = _ACTIONS.get(request.action)
    if action is None:
        return _deny(rid, Code.UNKNOWN_ITEM, [f"no service action {request.action}"])
    traced = (
        [f"party {party.party_id} ({party.name}) holds role {role}", f"service action {action}"]
        if trace
        else []
    )

    subject, at = request.subject, request.at
    device: Device | None = None
    if action is Action.UPDATE_CREDENTIALS_COS:
        device = facts.devices.get(subject)
        if device is None:
            why = (
                f"{subject} is a meter point; {action} is about a device"
                if subject in facts.fuels
                else f"no device {subject}"
            )
            return _deny(rid, Code.UNKNOWN_SUBJECT, [why])
        mpxn = device.mpxn
    else:
        if subject not in facts.fuels:
            why = (
                f"{subject} is a device; {action} is about a meter point"
                if subject in facts.devices
                else f"no meter point {subject}"
            )
            return _deny(rid, Code.UNKNOWN_SUBJECT, [why])
        mpxn = subject

    fuel = facts.fuels.get(mpxn)
    supplier_role = responsible_supplier_role(fuel) if fuel else None
    responsible = facts.holder_at(mpxn, supplier_role, at) if supplier_role else None
    steps = [
        *traced,
        f"Responsible Supplier of {mpxn} at {format_instant(at)}: {responsible or 'none'}",
    ]
    is_responsible = role is supplier_role and responsible == party.party_id

    if action is Action.UPDATE_CREDENTIALS_COS:
        assert device is not None
        if not is_responsible:
            steps.append(f"SR 6.23 only from the Responsible Supplier acting as {supplier_role}")
            return _deny(rid, Code.NOT_ELIGIBLE, steps)
        if device.credentials_party_id == party.party_id:
            steps.append(f"{party.party_id} already holds the credentials of device {device.guid}")
            return _deny(rid, Code.ALREADY_HOLDS_CREDENTIALS, steps)
        steps.append(
            f"credentials of {device.guid} move from {device.credentials_party_id or 'nobody'} to {party.party_id}"
        )
        return Decision(rid, Outcome.ALLOW, Code.OK, (), tuple(steps))

    if is_responsible:
        steps.append(f"{party.party_id} is the Responsible Supplier acting as {supplier_role}")
        return Decision(rid, Outcome.ALLOW, Code.OK, (), tuple(steps))
    if role is Role.OU:
        active = [
            c
            for c in facts.consents_at.get((party.party_id, mpxn), ())
            if c.purpose == DEVICE_JOIN_PURPOSE
            and c.is_active_at(at, facts.occupancy_of(c.consumer_id, mpxn))
        ]
        if active:
            steps.append(f"active consent {active[0].consent_id} of purpose {DEVICE_JOIN_PURPOSE}")
            return Decision(rid, Outcome.ALLOW, Code.OK, (), tuple(steps))
        steps.append(f"no active consent of purpose {DEVICE_JOIN_PURPOSE} at {mpxn}")
        return _deny(rid, Code.NOT_ELIGIBLE, steps)
    steps.append(
        f"{action} needs the Responsible Supplier ({supplier_role}) or an Other User with consent"
    )
    return _deny(rid, Code.NOT_ELIGIBLE, steps)
