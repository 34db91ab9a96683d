"""The SECMP0059 tables (seed 004), case by case, with their threshold edges."""

from __future__ import annotations

import pytest

from meterguard.domain.assessments import (
    AssessmentKind,
    Rule,
    assessment_due,
    counted_domestic_premises,
    rules_for,
    schedule,
)
from meterguard.domain.parties import Category, Party
from meterguard.domain.roles import Role

F, V, S = AssessmentKind.FULL, AssessmentKind.VERIFICATION, AssessmentKind.SELF


def party(
    roles: set[Role],
    category: Category,
    domestic: int | None = None,
    non_domestic: int | None = None,
    shared: bool = False,
) -> Party:
    return Party("P1", "Party One", frozenset(roles), category, "", domestic, non_domestic, shared)


def supplier(domestic: int | None, non_domestic: int | None, shared: bool = False) -> Party:
    return party({Role.IS, Role.GS}, Category.SMALL_SUPPLIER, domestic, non_domestic, shared)


def kinds(p: Party, years: int = 3) -> list[AssessmentKind]:
    return [row.kind for row in schedule(p, 2020, 2020 + years - 1)]


# SECMP0059 section 3, "No. of Non-Domestic Premises" table for Supplier Parties (with no domestic
# premises, so that only this table decides).
@pytest.mark.parametrize(
    ("non_domestic", "expected", "rule"),
    [
        (50_001, [F, F, F], Rule.NON_DOMESTIC_ABOVE_THRESHOLD),  # more than 50,000
        (73_500, [F, F, F], Rule.NON_DOMESTIC_ABOVE_THRESHOLD),
        (50_000, [F, V, S], Rule.NON_DOMESTIC_AT_OR_BELOW_THRESHOLD),  # exactly: "50,000 or less"
        (49_999, [F, V, S], Rule.NON_DOMESTIC_AT_OR_BELOW_THRESHOLD),
        (0, [F, V, S], Rule.NON_DOMESTIC_AT_OR_BELOW_THRESHOLD),
    ],
)
def test_the_non_domestic_supplier_table(
    non_domestic: int, expected: list[AssessmentKind], rule: Rule
) -> None:
    p = supplier(0, non_domestic)  # no domestic premises: the domestic rule asks F, V, S
    assert kinds(p) == expected
    if expected == [F, F, F]:  # the non-domestic rule is stricter and names every row
        assert all(row.rule is rule for row in schedule(p, 2020, 2022))
    else:
        assert rule in rules_for(p)


# The domestic threshold of G8.40-G8.43 as SECMP0059 describes it (per-year pattern inferred).
@pytest.mark.parametrize(
    ("domestic", "expected"),
    [
        (250_001, [F, F, F]),
        (4_150_000, [F, F, F]),
        (250_000, [F, V, S]),  # exactly 250,000 is "250,000 or less"
        (92_000, [F, V, S]),
    ],
)
def test_the_domestic_threshold_for_suppliers(
    domestic: int, expected: list[AssessmentKind]
) -> None:
    assert kinds(supplier(domestic, 0)) == expected


@pytest.mark.parametrize(
    ("domestic", "expected"), [(250_001, [F, F, F]), (250_000, [F, V, S]), (185_000, [F, V, S])]
)
def test_network_parties_follow_the_domestic_threshold_only(
    domestic: int, expected: list[AssessmentKind]
) -> None:
    network = party({Role.GT}, Category.GAS_NETWORK, domestic, 900_000)
    assert kinds(network) == expected  # many non-domestic premises: no Supplier table for networks


def test_other_users_have_full_then_verification_then_self_as_amended_by_secmp0059() -> None:
    ou = party({Role.OU}, Category.OTHER_SEC_PARTY)
    assert kinds(ou) == [F, V, S]  # before SECMP0059 year two was a Self-Assessment
    due = assessment_due(ou, 2020, 2021)
    assert due is not None and due.rule is Rule.OTHER_USER


def test_the_cycle_repeats_every_three_years() -> None:
    assert kinds(supplier(100_000, 10_000), years=7) == [F, V, S, F, V, S, F]
    assert kinds(party({Role.OU}, Category.OTHER_SEC_PARTY), years=6) == [F, V, S, F, V, S]


@pytest.mark.parametrize(
    ("domestic", "non_domestic", "shared", "counted", "expected"),
    [
        (240_000, 20_000, True, 260_000, [F, F, F]),  # shared resources push it over
        (240_000, 20_000, False, 240_000, [F, V, S]),
        (200_000, 50_000, True, 250_000, [F, V, S]),  # lands exactly on the threshold
        (200_000, 50_001, True, 250_001, [F, F, F]),
    ],
)
def test_shared_resources_add_non_domestic_premises_to_the_domestic_count(
    domestic: int, non_domestic: int, shared: bool, counted: int, expected: list[AssessmentKind]
) -> None:
    p = supplier(domestic, non_domestic, shared)
    assert counted_domestic_premises(p) == counted
    assert kinds(p) == expected


def test_a_party_under_several_rules_gets_the_strictest_and_the_row_names_it() -> None:
    p = supplier(100_000, 60_000)  # domestic: F V S; non-domestic: F F F
    rows = schedule(p, 2020, 2022)
    assert [r.kind for r in rows] == [F, F, F]
    assert all(r.rule is Rule.NON_DOMESTIC_ABOVE_THRESHOLD for r in rows)
    assert rows[1].also == (Rule.DOMESTIC_AT_OR_BELOW_THRESHOLD,)
    assert "also under domestic<=250k asks verification" in rows[1].explanation


def test_a_supplier_that_is_also_an_other_user_gets_the_strictest_of_both() -> None:
    p = party({Role.IS, Role.OU}, Category.SMALL_SUPPLIER, 300_000, 0)
    assert kinds(p) == [F, F, F]
    p = party({Role.IS, Role.OU}, Category.SMALL_SUPPLIER, 30_000, 0)
    assert kinds(p) == [F, V, S]


def test_nothing_is_due_before_user_entry_and_year_one_is_the_entry_year() -> None:
    p = supplier(10, 10)
    assert assessment_due(p, 2022, 2021) is None
    first = assessment_due(p, 2022, 2022)
    assert first is not None and first.year_of_use == 1 and first.kind is F


def test_unknown_premises_counts_get_the_strictest_pattern() -> None:
    assert kinds(supplier(None, None)) == [F, F, F]
    due = assessment_due(supplier(None, 10), 2020, 2021)
    assert due is not None and due.rule is Rule.PREMISES_NOT_RECORDED


def test_registered_supplier_agents_get_full_every_year_and_non_users_nothing() -> None:
    rsa = party({Role.RSA}, Category.OTHER_SEC_PARTY)
    assert kinds(rsa) == [F, F, F]
    assert assessment_due(party({Role.MAP}, Category.NON_SEC_PARTY), 2020, 2020) is None
    assert assessment_due(party({Role.SH}, Category.NON_SEC_PARTY), 2020, 2020) is None
