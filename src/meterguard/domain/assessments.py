"""Which User Security Assessment a party must have in each year (SEC G8 and SECMP0059).

Every year of a party's life as a DCC User is due one assessment: a Full User Security
Assessment, a Verification User Security Assessment or a User Security Self-Assessment. Year one
is the year of User Entry. Each rule below gives a kind for a year; a party under several rules
gets the strictest kind, and the row names the rule that set it. Sources and what is confirmed
or inferred: docs/compliance.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from meterguard.domain.parties import Category, Party
from meterguard.domain.roles import Role


class AssessmentKind(StrEnum):
    FULL = "full"
    VERIFICATION = "verification"
    SELF = "self"

    @property
    def strictness(self) -> int:
        return _STRICTNESS[self]

    @property
    def long_name(self) -> str:
        return _TITLES[self]


_STRICTNESS = {AssessmentKind.FULL: 3, AssessmentKind.VERIFICATION: 2, AssessmentKind.SELF: 1}
_TITLES = {
    AssessmentKind.FULL: "Full User Security Assessment",
    AssessmentKind.VERIFICATION: "Verification User Security Assessment",
    AssessmentKind.SELF: "User Security Self-Assessment",
}

DOMESTIC_THRESHOLD = 250_000
NON_DOMESTIC_THRESHOLD = 50_000

_EVERY_YEAR_FULL = (AssessmentKind.FULL,)
_THREE_YEAR_CYCLE = (AssessmentKind.FULL, AssessmentKind.VERIFICATION, AssessmentKind.SELF)


class Rule(Enum):
    """A rule of the schedule: its pattern, and where it comes from."""

    DOMESTIC_ABOVE_THRESHOLD = (
        "domestic>250k",
        _EVERY_YEAR_FULL,
        "Supplier or Network Party with more than 250,000 Domestic Premises: Full every year",
        "SEC G8.40-G8.43 as SECMP0059 describes them (per-year pattern inferred)",
    )
    DOMESTIC_AT_OR_BELOW_THRESHOLD = (
        "domestic<=250k",
        _THREE_YEAR_CYCLE,
        "Supplier or Network Party with 250,000 or fewer Domestic Premises: Full, Verification, Self",
        "SEC G8.40-G8.43 as SECMP0059 describes them (per-year pattern inferred)",
    )
    NON_DOMESTIC_ABOVE_THRESHOLD = (
        "non-domestic>50k",
        _EVERY_YEAR_FULL,
        "Supplier Party with more than 50,000 Non-Domestic Premises: Full every year",
        "SECMP0059 section 3, table for Supplier Parties",
    )
    NON_DOMESTIC_AT_OR_BELOW_THRESHOLD = (
        "non-domestic<=50k",
        _THREE_YEAR_CYCLE,
        "Supplier Party with 50,000 or fewer Non-Domestic Premises: Full, Verification, Self",
        "SECMP0059 section 3, table for Supplier Parties",
    )
    OTHER_USER = (
        "other-user",
        _THREE_YEAR_CYCLE,
        "Other User: Full, Verification, Self",
        "SEC G8.47 as amended by SECMP0059",
    )
    PREMISES_NOT_RECORDED = (
        "premises-unknown",
        _EVERY_YEAR_FULL,
        "Supplier or Network Party whose premises count is not recorded: Full every year",
        "MeterGuard: the strictest pattern until the count is known",
    )
    ROLE_WITHOUT_PATTERN = (
        "role-without-pattern",
        _EVERY_YEAR_FULL,
        "DCC User role the sources give no pattern for (Registered Supplier Agent): Full every year",
        "MeterGuard: the strictest pattern; SEC G8 for this role is not in the sources",
    )

    def __init__(
        self, code: str, pattern: tuple[AssessmentKind, ...], summary: str, source: str
    ) -> None:
        self.code = code
        self.pattern = pattern
        self.summary = summary
        self.source = source

    @property
    def cycle_strictness(self) -> float:
        return sum(kind.strictness for kind in self.pattern) / len(self.pattern)

    def kind_in_year(self, year_of_use: int) -> AssessmentKind:
        """The kind this rule asks for in year ``year_of_use`` (1 = the year of User Entry)."""
        return self.pattern[(year_of_use - 1) % len(self.pattern)]


SUPPLIER_ROLES = frozenset({Role.IS, Role.ES, Role.GS})
NETWORK_ROLES = frozenset({Role.ED, Role.GT})
_SUPPLIER_CATEGORIES = frozenset({Category.LARGE_SUPPLIER, Category.SMALL_SUPPLIER})
_NETWORK_CATEGORIES = frozenset({Category.ELECTRICITY_NETWORK, Category.GAS_NETWORK})


def is_supplier_party(party: Party) -> bool:
    return party.category in _SUPPLIER_CATEGORIES or bool(party.roles & SUPPLIER_ROLES)


def is_network_party(party: Party) -> bool:
    return party.category in _NETWORK_CATEGORIES or bool(party.roles & NETWORK_ROLES)


def is_other_user(party: Party) -> bool:
    return Role.OU in party.roles


def is_dcc_user(party: Party) -> bool:
    """Whether the party holds a DCC User Role (the seven of SEC Section A, RSA included)."""
    return (
        is_supplier_party(party)
        or is_network_party(party)
        or is_other_user(party)
        or Role.RSA in party.roles
    )


def counted_domestic_premises(party: Party) -> int | None:
    """Domestic Premises as G8 counts them: with the Non-Domestic Premises added where the
    party's systems have Shared Resources with another User's (SECMP0059 section 3)."""
    if party.domestic_premises is None:
        return None
    if party.shared_resources:
        return party.domestic_premises + (party.non_domestic_premises or 0)
    return party.domestic_premises


def rules_for(party: Party) -> tuple[Rule, ...]:
    """Every rule the party is under, in the order they are listed above."""
    rules: list[Rule] = []
    if is_supplier_party(party) or is_network_party(party):
        domestic = counted_domestic_premises(party)
        if domestic is None:
            rules.append(Rule.PREMISES_NOT_RECORDED)
        elif domestic > DOMESTIC_THRESHOLD:
            rules.append(Rule.DOMESTIC_ABOVE_THRESHOLD)
        else:
            rules.append(Rule.DOMESTIC_AT_OR_BELOW_THRESHOLD)
    if is_supplier_party(party):
        if party.non_domestic_premises is None:
            if Rule.PREMISES_NOT_RECORDED not in rules:
                rules.append(Rule.PREMISES_NOT_RECORDED)
        elif party.non_domestic_premises > NON_DOMESTIC_THRESHOLD:
            rules.append(Rule.NON_DOMESTIC_ABOVE_THRESHOLD)
        else:
            rules.append(Rule.NON_DOMESTIC_AT_OR_BELOW_THRESHOLD)
    if is_other_user(party):
        rules.append(Rule.OTHER_USER)
    if not rules and Role.RSA in party.roles:
        rules.append(Rule.ROLE_WITHOUT_PATTERN)
    return tuple(rules)


@dataclass(frozen=True, slots=True)
class AssessmentDue:
    party_id: str
    year: int
    year_of_use: int  # 1 = the year of User Entry
    kind: AssessmentKind
    rule: Rule  # the rule that set the kind
    also: tuple[Rule, ...]  # the other rules the party is under that year

    @property
    def explanation(self) -> str:
        text = f"year {self.year_of_use} of use; {self.rule.summary} ({self.rule.source})"
        if self.also:
            others = ", ".join(
                f"{r.code} asks {r.kind_in_year(self.year_of_use)}" for r in self.also
            )
            text += f"; also under {others}"
        return text


def assessment_due(party: Party, entry_year: int, year: int) -> AssessmentDue | None:
    """The assessment due from ``party`` in ``year``; None before User Entry or when no rule
    covers the party (it holds no DCC User role this schedule knows)."""
    if year < entry_year:
        return None
    return _due(party, rules_for(party), entry_year, year)


def _due(party: Party, rules: tuple[Rule, ...], entry_year: int, year: int) -> AssessmentDue | None:
    if not rules:
        return None
    year_of_use = year - entry_year + 1
    # The strictest kind wins; among equals, the rule that is stricter over its whole cycle
    # (Full every year) names it, then the first listed.
    deciding = max(
        rules, key=lambda r: (r.kind_in_year(year_of_use).strictness, r.cycle_strictness)
    )
    also = tuple(r for r in rules if r is not deciding)
    return AssessmentDue(
        party.party_id, year, year_of_use, deciding.kind_in_year(year_of_use), deciding, also
    )


def schedule(party: Party, entry_year: int, until_year: int) -> list[AssessmentDue]:
    """Every year from User Entry to ``until_year`` inclusive."""
    rules = rules_for(party)  # the same every year: premises counts are the party's current ones
    rows = (_due(party, rules, entry_year, y) for y in range(entry_year, until_year + 1))
    return [row for row in rows if row is not None]
