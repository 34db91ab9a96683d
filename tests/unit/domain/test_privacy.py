"""The Random Sample Privacy Assessment draw and who pays (seed 001)."""

from __future__ import annotations

import pytest

from meterguard.domain.privacy import (
    BadDraw,
    Charge,
    PrivacyAssessmentKind,
    charge_for,
    draw_sample,
    ticket,
)

POPULATION = [f"OU_{n:02d}" for n in range(12)]


def test_the_same_seed_and_population_draw_the_same_parties_in_any_order() -> None:
    first = draw_sample(POPULATION, 3, "2026-seed")
    again = draw_sample(list(reversed(POPULATION)), 3, "2026-seed")
    assert first.chosen == again.chosen
    assert len(first.chosen) == 3 and set(first.chosen) <= set(POPULATION)


def test_the_drawn_parties_hold_the_lowest_tickets() -> None:
    draw = draw_sample(POPULATION, 4, "s")
    lowest = sorted(POPULATION, key=lambda p: ticket("s", p))[:4]
    assert list(draw.chosen) == lowest
    assert all(draw.tickets[p] <= draw.cut_off for p in draw.chosen)
    assert all(draw.tickets[p] > draw.cut_off for p in POPULATION if p not in draw.chosen)


def test_another_seed_draws_other_parties() -> None:
    draws = {draw_sample(POPULATION, 3, f"seed-{n}").chosen for n in range(10)}
    assert len(draws) > 1


def test_each_party_is_told_why() -> None:
    draw = draw_sample(POPULATION, 1, "s")
    chosen = draw.chosen[0]
    assert draw.explain(chosen).startswith(f"{chosen} drawn: ticket sha256('s:{chosen}')")
    assert "rank 1 of 12" in draw.explain(chosen)
    other = next(p for p in POPULATION if p != chosen)
    assert " not drawn" in draw.explain(other)
    assert "not in the population" in draw.explain("STRANGER")


@pytest.mark.parametrize(("count", "seed"), [(0, "s"), (13, "s"), (1, "")])
def test_an_impossible_draw_is_refused(count: int, seed: str) -> None:
    with pytest.raises(BadDraw):
        draw_sample(POPULATION, count, seed)


def test_own_assessments_are_explicit_charges_and_random_samples_recoverable_costs() -> None:
    assert charge_for(PrivacyAssessmentKind.USER, "OU_01") is Charge.EXPLICIT
    assert charge_for(PrivacyAssessmentKind.RANDOM_SAMPLE, "OU_01") is Charge.RECOVERABLE
    assert charge_for(PrivacyAssessmentKind.USER, None) is Charge.RECOVERABLE
