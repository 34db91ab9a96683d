"""Routing one message by its data time (ACCESS-RULES 9), and the batch router agreeing with it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from meterguard.domain.appointments import Appointment
from meterguard.domain.period import Period
from meterguard.domain.roles import Role
from meterguard.domain.time import DAY
from meterguard.domain.time import parse_instant as t
from meterguard.policy.batch_routing import BatchRouter
from meterguard.policy.routing import (
    QUARANTINE,
    Basis,
    Outcome,
    Reason,
    Router,
    normalise_alert_code,
)

from . import generated
from .world import D1, D2, D3, D4, E1, E2, G1, SSD, world

CRITICAL = ["8F0A", "8F70"]


def router() -> Router:
    return Router(world(), CRITICAL)


def test_losing_supplier_gets_no_read_after_supply_start() -> None:
    route = router().route(E1, D1, SSD, "read")
    assert route.recipients == (("BRIT", Basis.RESPONSIBLE_SUPPLIER),)


def test_a_read_before_the_supply_start_goes_to_the_supplier_of_its_data_time() -> None:
    route = router().route(E1, D1, SSD - 1, "read")
    assert route.recipients == (("OCTO", Basis.RESPONSIBLE_SUPPLIER),)


def test_a_non_critical_alert_goes_to_the_responsible_supplier_alone() -> None:
    route = router().route(E1, D1, SSD + DAY, "alert", "8183")
    assert route.parties() == {"BRIT"}


def test_a_critical_alert_also_goes_to_the_former_supplier_holding_the_credentials() -> None:
    route = router().route(E1, D1, SSD + DAY, "alert", "8F0A")
    assert route.outcome is Outcome.DELIVER
    assert route.recipients == (
        ("BRIT", Basis.RESPONSIBLE_SUPPLIER),
        ("OCTO", Basis.CREDENTIALS_HOLDER),
    )


def test_a_critical_alert_goes_once_when_the_supplier_holds_the_credentials() -> None:
    route = router().route(E2, D4, t("2025-03-01"), "alert", "8F0A")
    assert route.recipients == (("OCTO", Basis.RESPONSIBLE_SUPPLIER),)


def test_a_device_without_credentials_adds_nobody_to_a_critical_alert() -> None:
    route = router().route(E1, D3, SSD + DAY, "alert", "8F70")  # an IHD holds none
    assert route.parties() == {"BRIT"}


def test_no_responsible_supplier_at_the_data_time_is_quarantine_never_a_guess() -> None:
    route = router().route(E1, D1, t("2019-06-01"), "alert", "8F0A")
    assert route == QUARANTINE
    assert route.reason is Reason.NO_RESPONSIBLE_SUPPLIER
    assert route.recipients == ()


def test_a_gas_meter_point_routes_to_its_gas_supplier() -> None:
    assert router().route(G1, D2, t("2024-05-31"), "read").parties() == {"BRIT"}
    assert router().route(G1, D2, t("2024-06-01"), "read").parties() == {"OCTO"}


def test_unknown_meter_points_and_devices_and_strays_are_rejected() -> None:
    r = router()
    assert r.route("1999999999999", D1, SSD, "read").reason is Reason.UNKNOWN_METER_POINT
    assert r.route(E1, "00-00-00-00-00-00-00-00", SSD, "read").reason is Reason.UNKNOWN_DEVICE
    stray = r.route(E2, D1, SSD, "read")
    assert stray.outcome is Outcome.REJECT
    assert stray.reason is Reason.DEVICE_NOT_AT_METER_POINT


def test_the_router_sees_a_corrected_appointment_history_at_once() -> None:
    facts = world()
    r = Router(facts, CRITICAL)
    assert r.route(E1, D1, SSD - DAY, "read").parties() == {"OCTO"}
    earlier = SSD - 10 * DAY
    facts.set_appointments(
        E1,
        Role.IS,
        [
            Appointment(E1, Role.IS, "OCTO", Period(t("2020-01-01"), earlier)),
            Appointment(E1, Role.IS, "BRIT", Period(earlier)),
        ],
    )
    assert r.route(E1, D1, SSD - DAY, "read").parties() == {"BRIT"}


def test_the_router_sees_new_credentials_after_sr_6_23_at_once() -> None:
    facts = world()
    r = Router(facts, CRITICAL)
    assert r.route(E1, D1, SSD + DAY, "alert", "8F0A").parties() == {"BRIT", "OCTO"}
    facts.put_device(facts.devices[D1]._replace(credentials_party_id="BRIT"))
    assert r.route(E1, D1, SSD + DAY, "alert", "8F0A").parties() == {"BRIT"}


def test_alert_codes_are_compared_in_one_spelling() -> None:
    assert normalise_alert_code(" 0x8f0a ") == "8F0A"
    assert Router(world(), ["0x8f0a"]).critical_codes == {"8F0A"}


messages = st.tuples(
    st.sampled_from([*generated.METER_POINTS, "1999999999999"]),
    st.sampled_from([*generated.DEVICES, "00-00-00-00-00-00-00-00"]),
    st.integers(-3 * DAY, 45 * DAY),
    st.sampled_from(["read", "alert"]),
    st.sampled_from(["8F0A", "8183", ""]),
)


@settings(max_examples=150, deadline=None)
@given(generated.worlds(), st.lists(messages, min_size=1, max_size=40))
def test_the_batch_router_routes_every_message_as_the_router_does(
    world: generated.World, batch: list[tuple[str, str, int, str, str]]
) -> None:
    scalar = Router(world.snapshot, CRITICAL)
    vectorised = BatchRouter(world.snapshot, CRITICAL)
    cleaned = [(m, g, ts, k, "" if k == "read" else c or "8183") for m, g, ts, k, c in batch]
    columns = vectorised.encode(*(list(column) for column in zip(*cleaned, strict=True)))
    routes = vectorised.route(columns)
    for i, (mpxn, guid, ts, kind, code) in enumerate(cleaned):
        assert vectorised.route_of(routes, i) == scalar.route(mpxn, guid, ts, kind, code)
