"""Replacing one meter point's facts, its consents, or the registry-wide facts in a snapshot, as
the snapshot follower does when another process changed them."""

from __future__ import annotations

from dataclasses import replace

from meterguard.domain.catalogue import Channel, Group
from meterguard.domain.period import Period, PeriodSet
from meterguard.domain.roles import Role
from meterguard.domain.time import parse_instant as t
from meterguard.policy.decision import Code
from meterguard.policy.engine import decide
from meterguard.policy.requests import DataRequest
from meterguard.policy.snapshot import MeterFacts, Snapshot

from .world import AT, D1, E1, E2, consent, world


def facts_of(snapshot: Snapshot, mpxn: str) -> MeterFacts:
    appointments = [
        (role, tenure.holder, tenure.period)
        for (m, role), timeline in snapshot.timelines.items()
        if m == mpxn
        for tenure in timeline.tenures
    ]
    occupants = snapshot.occupants.get(mpxn)
    occupancies = [(t_.holder, t_.period) for t_ in occupants.tenures] if occupants else []
    return appointments, occupancies, list(snapshot.devices_at.get(mpxn, {}).values())


def hh(party: str, role: str, mpxn: str, purpose: str = "") -> DataRequest:
    return DataRequest(
        "r", party, role, Channel.API, "hh_consumption", mpxn, t("2024-01-01"), None, AT, purpose
    )


def test_replacing_a_meter_point_s_appointments_changes_who_holds_them() -> None:
    snapshot = world()
    appointments, occupancies, devices = facts_of(snapshot, E1)
    kept = [a for a in appointments if a[0] is not Role.IS]
    snapshot.replace_meter(
        E1, ([*kept, (Role.IS, "OCTO", Period(t("2020-01-01")))], occupancies, devices)
    )
    assert snapshot.periods_held("BRIT", Role.IS, E1) == PeriodSet.empty()
    assert snapshot.periods_held("OCTO", Role.IS, E1) == PeriodSet.of(t("2020-01-01"))
    assert decide(hh("BRIT", "IS", E1), snapshot).code is Code.NO_RELATIONSHIP
    assert snapshot.periods_held("UKPN", Role.ED, E1)  # the other roles are as they were


def test_replacing_with_no_appointments_removes_every_holder() -> None:
    snapshot = world()
    _, occupancies, devices = facts_of(snapshot, E1)
    snapshot.replace_meter(E1, ([], occupancies, devices))
    assert not any(m == E1 for m, _ in snapshot.timelines)
    assert all(E1 not in by_meter for by_meter in snapshot.held.values())


def test_replacing_occupancies_moves_the_consumer_out() -> None:
    snapshot = world()
    appointments, _, devices = facts_of(snapshot, E1)
    snapshot.replace_meter(E1, (appointments, [("ALICE", Period(t("2019-05-01")))], devices))
    assert snapshot.occupancy_of("BOB", E1) == PeriodSet.empty()
    assert snapshot.occupants[E1].holder_at(AT) == "ALICE"


def test_a_device_that_moved_leaves_its_old_meter_point() -> None:
    snapshot = world()
    moved = replace_device = snapshot.devices[D1]._replace(mpxn=E2)
    appointments, occupancies, devices = facts_of(snapshot, E2)
    snapshot.replace_meter(E2, (appointments, occupancies, [*devices, moved]))
    assert D1 not in snapshot.devices_at.get(E1, {})
    assert snapshot.devices_at[E2][D1] == replace_device
    assert snapshot.device(D1) == moved


def test_a_lazy_snapshot_ignores_a_meter_point_it_has_not_loaded() -> None:
    snapshot = Snapshot(fuels=world().fuels)
    snapshot.source = _NeverAsked()
    revision = snapshot.revision
    snapshot.replace_meter(E1, ([(Role.IS, "BRIT", Period(0))], [], []))
    assert snapshot.revision == revision and (E1, Role.IS) not in snapshot.timelines


def test_replacing_consents_adds_changes_and_removes() -> None:
    snapshot = world()
    before = {c.consent_id for c in snapshot.consents_at_meter(E1)}
    assert before
    fresh = consent(
        "NEW",
        "BOB",
        E1,
        "energy_advice",
        {Group.CONSUMPTION},
        Period(0),
        "2025-01-01",
        "2025-01-01",
    )
    snapshot.replace_consents(E1, [fresh])
    assert [c.consent_id for c in snapshot.consents_at_meter(E1)] == ["NEW"]
    assert all(cid not in snapshot.consents for cid in before)
    assert set(snapshot.consents_of["APP"]) >= {"NEW"}
    withdrawn = replace(fresh, withdrawn_at=t("2025-02-01"))
    snapshot.replace_consents(E1, [withdrawn])
    assert snapshot.consents["NEW"].withdrawn_at == t("2025-02-01")
    assert decide(hh("APP", "OU", E1, "energy_advice"), snapshot).code is Code.CONSENT_NOT_ACTIVE


def test_replacing_the_registry_changes_parties_meter_points_and_matrix() -> None:
    snapshot = world()
    parties = [p for p in snapshot.parties.values() if p.party_id != "BRIT"]
    snapshot.replace_registry(parties, snapshot.fuels, snapshot.matrix.versions, consents=[])
    assert decide(hh("BRIT", "IS", E1), snapshot).code is Code.UNKNOWN_PARTY
    assert snapshot.consents == {} and snapshot.consents_at == {}


class _NeverAsked:
    def meter(self, mpxn: str) -> MeterFacts:
        raise AssertionError("not asked")

    def meter_of_device(self, guid: str) -> str | None:
        return None

    def everything(self, skip: set[str]) -> dict[str, MeterFacts]:
        raise AssertionError("not asked")
