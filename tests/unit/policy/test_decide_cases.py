"""Hand-worked decisions: every code of ACCESS-RULES sections 7 and 8, and every role.

Each row is worked out by hand from `world.py`; the comment says why the answer is what it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from meterguard.domain.catalogue import Channel
from meterguard.domain.time import parse_instant as t
from meterguard.policy.decision import Code, Outcome
from meterguard.policy.engine import decide
from meterguard.policy.requests import DataRequest, ServiceRequest

from .world import AT, D1, D2, D3, D4, E1, E2, G1, world


@dataclass(frozen=True)
class Case:
    name: str
    party: str
    role: str
    item: str
    subject: str
    start: str | None
    end: str | None
    code: Code
    allowed: tuple[tuple[str, str], ...] = ()
    at: int = AT
    channel: Channel = Channel.API
    purpose: str = ""


C = Case
FACTS = world()

DATA_CASES = [
    # 1-4: who, what, about what
    C("unknown party", "NOPE", "IS", "hh_consumption", E1, "2025-02-01", None, Code.UNKNOWN_PARTY),
    C("role not held", "APP", "IS", "hh_consumption", E1, "2025-02-01", None, Code.ROLE_NOT_HELD),
    C(
        "role that does not exist",
        "OCTO",
        "XX",
        "hh_consumption",
        E1,
        "2025-02-01",
        None,
        Code.ROLE_NOT_HELD,
    ),
    C("unknown item", "BRIT", "IS", "gossip", E1, "2025-02-01", None, Code.UNKNOWN_ITEM),
    C(
        "unknown meter point",
        "BRIT",
        "IS",
        "hh_consumption",
        "1900000000040",
        "2025-02-01",
        None,
        Code.UNKNOWN_SUBJECT,
    ),
    C(
        "device given for a meter point item",
        "BRIT",
        "IS",
        "hh_consumption",
        D1,
        "2025-02-01",
        None,
        Code.UNKNOWN_SUBJECT,
    ),
    C(
        "meter point given for a device item",
        "MAPCO",
        "MAP",
        "device_inventory",
        E1,
        None,
        None,
        Code.UNKNOWN_SUBJECT,
    ),
    # 5: periods
    C("series without from", "BRIT", "IS", "hh_consumption", E1, None, None, Code.BAD_PERIOD),
    C(
        "from not before to",
        "BRIT",
        "IS",
        "hh_consumption",
        E1,
        "2025-02-02",
        "2025-02-01",
        Code.BAD_PERIOD,
    ),
    C(
        "from in the future",
        "BRIT",
        "IS",
        "hh_consumption",
        E1,
        "2025-03-02",
        None,
        Code.BAD_PERIOD,
    ),
    C(
        "from equal to the decision time",
        "BRIT",
        "IS",
        "hh_consumption",
        E1,
        "2025-03-01T12:00:00Z",
        None,
        Code.BAD_PERIOD,
    ),
    # 6: excluded groups, before the matrix is even consulted (no cell exists for this one)
    C(
        "priority services over API",
        "BRIT",
        "IS",
        "priority_services",
        E1,
        None,
        None,
        Code.EXCLUDED_GROUP,
    ),
    C(
        "consumer contact over BULK",
        "BRIT",
        "IS",
        "consumer_contact",
        E1,
        None,
        None,
        Code.EXCLUDED_GROUP,
        channel=Channel.BULK,
    ),
    # 7: the matrix
    C(
        "no cell: not configured",
        "BRIT",
        "IS",
        "daily_consumption",
        E1,
        "2025-02-01",
        None,
        Code.NOT_IN_MATRIX,
    ),
    C(
        "no version in force yet",
        "BRIT",
        "IS",
        "hh_consumption",
        E1,
        "2018-01-01",
        None,
        Code.NOT_IN_MATRIX,
        at=t("2018-06-01"),
    ),
    C(
        "network refused consumption",
        "UKPN",
        "ED",
        "hh_consumption",
        E1,
        "2025-02-01",
        None,
        Code.NOT_PERMITTED,
    ),
    # 8: community view, for a shipper with no relationship at all at E1
    C("community view, current", "SHIP", "SH", "meter_point_details", E1, None, None, Code.OK),
    C(
        "community view, historic",
        "SHIP",
        "SH",
        "meter_point_details",
        E1,
        "2024-01-01",
        None,
        Code.HISTORIC_NOT_PERMITTED,
    ),
    C(
        "gas transporter community view",
        "CADENT",
        "GT",
        "meter_point_details",
        G1,
        None,
        None,
        Code.OK,
    ),
    # 9: Other User consents
    C(
        "no consent for that purpose",
        "APP",
        "OU",
        "hh_consumption",
        E1,
        "2025-02-01",
        None,
        Code.NO_CONSENT,
        purpose="research",
    ),
    C(
        "consent not covering the group",
        "APP",
        "OU",
        "alerts",
        E1,
        "2025-02-01",
        None,
        Code.NOT_IN_MATRIX,
        purpose="energy_advice",
    ),
    C(
        "consent without written notice",
        "APP",
        "OU",
        "hh_consumption",
        G1,
        "2023-02-01",
        "2023-03-01",
        Code.CONSENT_NOT_ACTIVE,
        purpose="research",
    ),
    C(
        "consent withdrawn at that instant",
        "APP",
        "OU",
        "hh_consumption",
        E1,
        "2025-02-01",
        None,
        Code.CONSENT_NOT_ACTIVE,
        at=t("2025-03-01"),
        purpose="price_comparison",
    ),
    C(
        "consent an instant before withdrawal",
        "APP",
        "OU",
        "hh_consumption",
        E1,
        "2025-02-01",
        "2025-02-02",
        Code.OK,
        (("2025-02-01T00:00:00Z", "2025-02-02T00:00:00Z"),),
        at=t("2025-03-01") - 1,
        purpose="price_comparison",
    ),
    C(
        "consent clipped to the consumer's own occupancy",
        "APP",
        "OU",
        "hh_consumption",
        E1,
        "2024-06-01",
        "2024-12-01",
        Code.PARTIAL,
        (("2024-10-01T00:00:00Z", "2024-12-01T00:00:00Z"),),
        purpose="energy_advice",
    ),
    # 10: no relationship
    C(
        "agent never appointed here",
        "AGENT",
        "RSA",
        "hh_consumption",
        E2,
        "2025-02-01",
        None,
        Code.NO_RELATIONSHIP,
    ),
    C(
        "owner of another device",
        "MAPCO",
        "MAP",
        "device_inventory",
        D3,
        None,
        None,
        Code.NO_RELATIONSHIP,
    ),
    C(
        "manufacturer of another device",
        "ACME",
        "DM",
        "device_inventory",
        D2,
        "2024-01-01",
        None,
        Code.NO_RELATIONSHIP,
    ),
    # 11-12: current only
    C(
        "C cell, relationship over",
        "AGENT",
        "RSA",
        "hh_consumption",
        E1,
        "2023-02-01",
        "2023-03-01",
        Code.NOT_CURRENT,
    ),
    C(
        "current value after losing the customer",
        "OCTO",
        "IS",
        "registration",
        E1,
        None,
        None,
        Code.NOT_CURRENT,
    ),
    C(
        "C cell on a historic reference request",
        "BRIT",
        "IS",
        "registration",
        E1,
        "2025-02-01",
        None,
        Code.HISTORIC_NOT_PERMITTED,
    ),
    C("current reference value", "BRIT", "IS", "registration", E1, None, None, Code.OK),
    # 13: the entitled window (DP072: the former supplier after the Supply Start Date)
    C(
        "former supplier after the SSD",
        "OCTO",
        "IS",
        "hh_consumption",
        E1,
        "2025-02-01",
        "2025-03-01",
        Code.OUTSIDE_ENTITLED_PERIOD,
    ),
    C(
        "former supplier across the SSD",
        "OCTO",
        "IS",
        "hh_consumption",
        E1,
        "2025-01-01",
        "2025-02-01",
        Code.PARTIAL,
        (("2025-01-01T00:00:00Z", "2025-01-15T00:00:00Z"),),
    ),
    C(
        "former supplier before the SSD, historic",
        "OCTO",
        "IS",
        "hh_consumption",
        E1,
        "2024-01-01",
        "2024-02-01",
        Code.OK,
        (("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"),),
    ),
    C(
        "gaining supplier, open end clipped to at",
        "BRIT",
        "IS",
        "hh_consumption",
        E1,
        "2025-01-01",
        None,
        Code.PARTIAL,
        (("2025-01-15T00:00:00Z", "2025-03-01T12:00:00Z"),),
    ),
    C(
        "gaining supplier over BULK",
        "BRIT",
        "IS",
        "hh_consumption",
        E1,
        "2025-02-01",
        "2025-02-02",
        Code.OK,
        (("2025-02-01T00:00:00Z", "2025-02-02T00:00:00Z"),),
        channel=Channel.BULK,
    ),
    C(
        "C cell on a series: only the current stretch",
        "BRIT",
        "IS",
        "alerts",
        E1,
        "2025-01-01",
        "2025-02-01",
        Code.PARTIAL,
        (("2025-01-15T00:00:00Z", "2025-02-01T00:00:00Z"),),
    ),
    C(
        "version 2 narrows IS to current",
        "OCTO",
        "IS",
        "hh_consumption",
        E1,
        "2024-01-01",
        "2024-02-01",
        Code.NOT_CURRENT,
        at=t("2026-02-01"),
    ),
    C(
        "version 1 still governs decisions before 2026",
        "OCTO",
        "IS",
        "hh_consumption",
        E1,
        "2024-01-01",
        "2024-02-01",
        Code.OK,
        (("2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"),),
        at=t("2025-12-31"),
    ),
    C(
        "export supplier",
        "OCTO",
        "ES",
        "hh_export",
        E1,
        "2024-01-01",
        "2024-01-02",
        Code.OK,
        (("2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"),),
    ),
    C(
        "gas supplier across its CoS",
        "OCTO",
        "GS",
        "hh_consumption",
        G1,
        "2024-05-01",
        "2024-07-01",
        Code.PARTIAL,
        (("2024-06-01T00:00:00Z", "2024-07-01T00:00:00Z"),),
    ),
    C(
        "supplier role of the other fuel",
        "OCTO",
        "GS",
        "hh_consumption",
        E1,
        "2024-05-01",
        "2024-07-01",
        Code.NO_RELATIONSHIP,
    ),
    C(
        "meter asset manager, current",
        "AGENT",
        "MAM",
        "meter_point_details",
        G1,
        None,
        None,
        Code.OK,
    ),
    C(
        "major energy user, own site",
        "BIGCO",
        "MEU",
        "hh_consumption",
        E2,
        "2019-01-01",
        "2019-04-01",
        Code.PARTIAL,
        (("2019-03-01T00:00:00Z", "2019-04-01T00:00:00Z"),),
    ),
    C(
        "major energy user, own priority data on the portal",
        "BIGCO",
        "MEU",
        "priority_services",
        E2,
        None,
        None,
        Code.OK,
        channel=Channel.PORTAL,
    ),
    C(
        "meter asset provider, own device",
        "MAPCO",
        "MAP",
        "device_inventory",
        D1,
        None,
        None,
        Code.OK,
    ),
    C(
        "manufacturer, own device, historic",
        "ACME",
        "DM",
        "device_inventory",
        D1,
        "2020-01-01",
        "2021-01-01",
        Code.OK,
        (("2020-01-01T00:00:00Z", "2021-01-01T00:00:00Z"),),
    ),
    C(
        "supplier, device at its meter point",
        "BRIT",
        "IS",
        "device_inventory",
        D1,
        None,
        None,
        Code.OK,
    ),
    C(
        "historic supply address inside the relationship",
        "OCTO",
        "IS",
        "supply_address",
        E1,
        "2024-01-01",
        "2025-03-01",
        Code.PARTIAL,
        (("2024-01-01T00:00:00Z", "2025-01-15T00:00:00Z"),),
    ),
]


def data_request(case: Case) -> DataRequest:
    return DataRequest(
        case.name,
        case.party,
        case.role,
        case.channel,
        case.item,
        case.subject,
        t(case.start) if case.start else None,
        t(case.end) if case.end else None,
        case.at,
        case.purpose,
    )


@pytest.mark.parametrize("case", DATA_CASES, ids=[c.name for c in DATA_CASES])
def test_hand_worked_data_decision(case: Case) -> None:
    decision = decide(data_request(case), FACTS)
    assert decision.code is case.code, decision.explanation
    assert [tuple(p) for p in decision.allowed_text()] == list(case.allowed)
    expected_outcome = {Code.OK: Outcome.ALLOW, Code.PARTIAL: Outcome.PARTIAL}.get(
        case.code, Outcome.DENY
    )
    assert decision.outcome is expected_outcome
    assert decision.explanation


SERVICE_CASES = [
    ("join by the Responsible Supplier", "BRIT", "IS", "join_type2", E1, AT, Code.OK),
    ("unjoin by the Responsible Supplier", "BRIT", "IS", "unjoin_type2", E1, AT, Code.OK),
    ("join by the former supplier", "OCTO", "IS", "join_type2", E1, AT, Code.NOT_ELIGIBLE),
    (
        "join by the supplier in the wrong fuel's role",
        "BRIT",
        "GS",
        "join_type2",
        E1,
        AT,
        Code.NOT_ELIGIBLE,
    ),
    (
        "join by an Other User with a device_join consent",
        "APP",
        "OU",
        "join_type2",
        E1,
        AT,
        Code.OK,
    ),
    ("join by an Other User without one", "APP", "OU", "join_type2", G1, AT, Code.NOT_ELIGIBLE),
    ("join by a network", "UKPN", "ED", "join_type2", E1, AT, Code.NOT_ELIGIBLE),
    ("SR 6.23 by the gaining supplier", "BRIT", "IS", "update_credentials_cos", D1, AT, Code.OK),
    (
        "SR 6.23 by the former supplier",
        "OCTO",
        "IS",
        "update_credentials_cos",
        D1,
        AT,
        Code.NOT_ELIGIBLE,
    ),
    (
        "SR 6.23 by the holder of the credentials",
        "OCTO",
        "IS",
        "update_credentials_cos",
        D4,
        AT,
        Code.ALREADY_HOLDS_CREDENTIALS,
    ),
    (
        "SR 6.23 before the SSD",
        "BRIT",
        "IS",
        "update_credentials_cos",
        D1,
        t("2025-01-14"),
        Code.NOT_ELIGIBLE,
    ),
    (
        "SR 6.23 on a meter point",
        "BRIT",
        "IS",
        "update_credentials_cos",
        E1,
        AT,
        Code.UNKNOWN_SUBJECT,
    ),
    ("join on a device", "BRIT", "IS", "join_type2", D1, AT, Code.UNKNOWN_SUBJECT),
    ("unknown action", "BRIT", "IS", "reboot", E1, AT, Code.UNKNOWN_ITEM),
    ("unknown party", "NOPE", "IS", "join_type2", E1, AT, Code.UNKNOWN_PARTY),
    ("role not held", "APP", "IS", "join_type2", E1, AT, Code.ROLE_NOT_HELD),
]


@pytest.mark.parametrize(
    ("name", "party", "role", "action", "subject", "at", "code"),
    SERVICE_CASES,
    ids=[c[0] for c in SERVICE_CASES],
)
def test_hand_worked_service_decision(
    name: str, party: str, role: str, action: str, subject: str, at: int, code: Code
) -> None:
    decision = decide(ServiceRequest(name, party, role, action, subject, at), FACTS)
    assert decision.code is code, decision.explanation
    assert decision.outcome is (Outcome.ALLOW if code is Code.OK else Outcome.DENY)
    assert decision.allowed == ()


def test_every_code_and_every_role_is_worked_by_hand() -> None:
    codes = {c.code for c in DATA_CASES} | {c[-1] for c in SERVICE_CASES}
    assert codes == set(Code) - {Code.BAD_REQUEST}  # BAD_REQUEST is the parser's, tested with it
    roles = {c.role for c in DATA_CASES if c.code in (Code.OK, Code.PARTIAL)}
    assert roles >= {"IS", "ES", "GS", "GT", "SH", "RSA", "MAM", "OU", "MEU", "MAP", "DM"} - {"RSA"}
    assert {c.role for c in DATA_CASES} >= {
        "IS",
        "ES",
        "GS",
        "ED",
        "GT",
        "SH",
        "RSA",
        "MAM",
        "OU",
        "MEU",
        "MAP",
        "DM",
    }


def test_the_explanation_names_the_matrix_cell_and_the_appointment() -> None:
    case = next(c for c in DATA_CASES if c.name == "former supplier across the SSD")
    explanation = decide(data_request(case), FACTS).explanation
    assert "matrix v1 cell hh_consumption/IS/API = H" in explanation
    assert "appointment IS [2020-01-01T00:00:00Z..2025-01-15T00:00:00Z)" in explanation


def test_not_configured_is_reported_apart_from_not_permitted() -> None:
    unconfigured = decide(
        data_request(next(c for c in DATA_CASES if c.name == "no cell: not configured")), FACTS
    )
    refused = decide(
        data_request(next(c for c in DATA_CASES if c.name == "network refused consumption")), FACTS
    )
    assert "not configured" in unconfigured.explanation
    assert refused.explanation == "matrix v1 cell hh_consumption/ED/API = -"
