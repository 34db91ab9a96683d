"""Privacy assessments of Other Users (SEC Section I, seed 001): the random sample and who pays.

The Privacy Controls Framework sets "the process for determining the timing, frequency and
selection of Random Sample Privacy Assessments". MeterGuard's selection is a lottery anyone can
re-run: every Other User in the population gets a ticket, the SHA-256 of ``seed:party_id``, and
the ``count`` lowest tickets are drawn. The seed and the population are recorded with the draw,
so the draw is reproducible, independent of the order the population was listed in, and each
chosen party can be shown its ticket and the cut-off it fell under.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum


class PrivacyAssessmentKind(StrEnum):
    USER = "user"  # an assessment of one Other User (initial, or required of it)
    RANDOM_SAMPLE = "random_sample"  # drawn by the Random Sample Privacy Assessment


class Charge(StrEnum):
    EXPLICIT = "explicit"  # paid by the Other User assessed
    RECOVERABLE = "recoverable"  # handled as Recoverable Costs


def charge_for(kind: PrivacyAssessmentKind, party_id: str | None) -> Charge:
    """Seed 001, Explicit Charges: a party's own assessments are charged to it; Random Sample
    Privacy Assessments, and costs not directly linked to one User's assessment, are Recoverable
    Costs."""
    if kind is PrivacyAssessmentKind.USER and party_id:
        return Charge.EXPLICIT
    return Charge.RECOVERABLE


class BadDraw(ValueError):
    """A draw that cannot be made as asked."""


def ticket(seed: str, party_id: str) -> str:
    return hashlib.sha256(f"{seed}:{party_id}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Draw:
    seed: str
    population: tuple[str, ...]  # sorted party ids
    count: int
    chosen: tuple[str, ...]  # in ticket order, lowest first
    tickets: dict[str, str]

    @property
    def cut_off(self) -> str:
        """The highest ticket drawn: every chosen party's ticket is at or below it."""
        return self.tickets[self.chosen[-1]] if self.chosen else ""

    def explain(self, party_id: str) -> str:
        if party_id not in self.tickets:
            return f"{party_id} was not in the population of this draw"
        own = self.tickets[party_id]
        rank = sorted(self.tickets.values()).index(own) + 1
        verdict = "drawn" if party_id in self.chosen else "not drawn"
        return (
            f"{party_id} {verdict}: ticket sha256('{self.seed}:{party_id}') = {own[:16]}..., "
            f"rank {rank} of {len(self.population)}; the {self.count} lowest tickets are drawn"
        )


def draw_sample(population: list[str] | tuple[str, ...], count: int, seed: str) -> Draw:
    if not seed:
        raise BadDraw("a draw needs a seed, so that it can be re-run")
    members = tuple(sorted(set(population)))
    if count < 1:
        raise BadDraw("a draw chooses at least one Other User")
    if count > len(members):
        raise BadDraw(f"cannot draw {count} from a population of {len(members)} Other User(s)")
    tickets = {party_id: ticket(seed, party_id) for party_id in members}
    chosen = tuple(sorted(members, key=lambda p: (tickets[p], p))[:count])
    return Draw(seed, members, count, chosen, tickets)
