"""The batch engine gives the scalar engine's answer, request by request, on generated worlds."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from meterguard.policy.batch import BatchEngine
from meterguard.policy.engine import decide
from meterguard.policy.requests import DataRequest

from .generated import World, data_requests, worlds
from .test_decide_cases import DATA_CASES, FACTS, data_request


def assert_same(
    engine: BatchEngine, world_facts, requests: list[DataRequest], with_objects: bool = True
) -> None:  # type: ignore[no-untyped-def]
    result = engine.decide(engine.encode(requests), requests if with_objects else None)
    for i, request in enumerate(requests):
        expected = decide(request, world_facts)
        assert result.code(i) is expected.code, (request, expected.explanation)
        assert result.allowed(i) == expected.allowed, (request, expected.explanation)


def test_the_hand_worked_cases_come_out_the_same_in_a_batch() -> None:
    requests = [data_request(case) for case in DATA_CASES]
    assert_same(BatchEngine(FACTS), FACTS, requests)
    assert_same(BatchEngine(FACTS), FACTS, requests, with_objects=False)


@settings(max_examples=200, deadline=None)
@given(worlds(), st.lists(data_requests(), min_size=1, max_size=40))
def test_batch_and_scalar_agree_on_generated_worlds(
    world: World, requests: list[DataRequest]
) -> None:
    assert_same(BatchEngine(world.snapshot), world.snapshot, requests)


@settings(max_examples=100, deadline=None)
@given(worlds(), st.lists(data_requests(("OU1",)), min_size=1, max_size=40))
def test_batch_and_scalar_agree_for_other_users(world: World, requests: list[DataRequest]) -> None:
    assert_same(BatchEngine(world.snapshot), world.snapshot, requests, with_objects=False)


@settings(max_examples=50, deadline=None)
@given(worlds(), st.lists(data_requests(("OU1",)), min_size=1, max_size=20))
def test_the_batch_engine_sees_a_change_made_to_the_snapshot(
    world: World, requests: list[DataRequest]
) -> None:
    engine = BatchEngine(world.snapshot)
    engine.decide(engine.encode(requests))
    for consent in world.consents:
        world.snapshot.put_consent(replace(consent, withdrawn_at=consent.granted_at))
    assert_same(engine, world.snapshot, requests)


def test_requests_beyond_the_arrays_are_decided_by_the_scalar_engine() -> None:
    from meterguard.domain.catalogue import Channel, Group
    from meterguard.domain.occupancy import Occupancy
    from meterguard.domain.period import Period
    from meterguard.domain.time import parse_instant as t

    from .world import E1, G1, consent, world

    facts = world()
    # Two active consents of one Other User at E1 for one purpose: their periods must be united.
    facts.put_consent(
        consent(
            "K6",
            "BOB",
            E1,
            "energy_advice",
            {Group.CONSUMPTION},
            Period(t("2025-02-01")),
            "2025-02-01",
            "2025-02-01",
        )
    )
    # DAVE left G1 and came back: his consent's entitled periods are split in two.
    facts.set_occupancies(
        G1,
        [
            Occupancy(G1, "DAVE", Period(t("2017-01-01"), t("2023-03-01"))),
            Occupancy(G1, "ERIN", Period(t("2023-03-01"), t("2023-04-01"))),
            Occupancy(G1, "DAVE", Period(t("2023-04-01"))),
        ],
    )
    facts.put_consent(
        consent(
            "K7",
            "DAVE",
            G1,
            "research",
            {Group.CONSUMPTION},
            Period(t("2023-01-01"), t("2024-01-01")),
            "2023-06-01",
            "2023-06-01",
        )
    )
    requests = [
        DataRequest(
            "two",
            "APP",
            "OU",
            Channel.API,
            "hh_consumption",
            E1,
            t("2024-06-01"),
            None,
            t("2025-03-01"),
            "energy_advice",
        ),
        DataRequest(
            "split",
            "APP",
            "OU",
            Channel.API,
            "hh_consumption",
            G1,
            t("2022-06-01"),
            t("2024-06-01"),
            t("2023-07-01"),
            "research",
        ),
    ]
    engine = BatchEngine(facts)
    result = engine.decide(engine.encode(requests), requests)
    assert set(result.fallback) == {0, 1}
    assert_same(engine, facts, requests)
    assert_same(engine, facts, requests, with_objects=False)
    assert len(result.allowed(1)) == 2  # DAVE's two stays, never ERIN's month between them


@settings(max_examples=60, deadline=None)
@given(worlds(), st.lists(data_requests(), min_size=1, max_size=30))
def test_after_changes_to_meter_points_the_batch_answers_without_recompiling(
    world: World, requests: list[DataRequest]
) -> None:
    from meterguard.domain.appointments import Appointment
    from meterguard.domain.period import Period
    from meterguard.domain.roles import Role

    from .generated import E1

    engine = BatchEngine(world.snapshot)
    cube = engine.cube
    for consent in world.consents:
        world.snapshot.put_consent(replace(consent, withdrawn_at=consent.granted_at))
    world.snapshot.set_appointments(E1, Role.IS, [Appointment(E1, Role.IS, "S3", Period(0))])
    assert_same(engine, world.snapshot, requests)
    assert_same(engine, world.snapshot, requests, with_objects=False)
    assert engine.cube is cube  # no recompile: the changed meter points went to the scalar engine


def test_a_registry_wide_change_recompiles_the_arrays() -> None:
    from dataclasses import replace as change

    from .world import world

    facts = world()
    engine = BatchEngine(facts)
    cube = engine.cube
    requests = [data_request(case) for case in DATA_CASES]
    facts.put_party(change(facts.parties["OCTO"], roles=frozenset()))  # OCTO loses every role
    assert_same(engine, facts, requests)
    assert engine.cube is not cube


def test_requests_about_a_changed_meter_point_keep_their_own_party_and_purpose() -> None:
    from meterguard.domain.catalogue import Channel, Group
    from meterguard.domain.period import Period
    from meterguard.domain.time import parse_instant as t

    from .world import AT, E1, consent, world

    facts = world()
    engine = BatchEngine(facts)
    facts.put_consent(
        consent(
            "K9",
            "BOB",
            E1,
            "tariff_switch",
            {Group.CONSUMPTION},
            Period(t("2024-10-01")),
            "2025-01-01",
            "2025-01-01",
        )
    )
    requests = [
        DataRequest(
            "nope", "NOPE", "IS", Channel.API, "hh_consumption", E1, t("2025-02-01"), None, AT, ""
        ),
        DataRequest(
            "new purpose",
            "APP",
            "OU",
            Channel.API,
            "hh_consumption",
            E1,
            t("2025-02-01"),
            None,
            AT,
            "tariff_switch",
        ),
    ]
    assert_same(engine, facts, requests, with_objects=False)
    assert_same(engine, facts, requests)


def test_columns_encoded_before_a_recompile_are_not_read_against_new_indexes() -> None:
    import pytest

    from meterguard.domain.meter_points import MeterPoint, Sector

    from .world import world

    facts = world()
    engine = BatchEngine(facts)
    requests = [data_request(case) for case in DATA_CASES]
    columns = engine.encode(requests)
    facts.put_meter_point(
        MeterPoint("1400000000057", Sector.DOMESTIC, "_E")
    )  # shifts device indexes
    with pytest.raises(ValueError, match="encode them again"):
        engine.decide(columns)
    result = engine.decide(columns, requests)  # with the objects, they are encoded again
    for i, request in enumerate(requests):
        assert result.code(i) is decide(request, facts).code
