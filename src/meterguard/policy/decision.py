"""Decisions and their explanations."""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from meterguard.domain.period import Period
from meterguard.domain.time import format_instant


class Outcome(StrEnum):
    ALLOW = "allow"
    PARTIAL = "partial"
    DENY = "deny"


class Code(StrEnum):
    """Answer codes, in the order ACCESS-RULES section 7 checks them, then section 8's."""

    OK = "OK"
    PARTIAL = "PARTIAL"
    BAD_REQUEST = "BAD_REQUEST"
    UNKNOWN_PARTY = "UNKNOWN_PARTY"
    ROLE_NOT_HELD = "ROLE_NOT_HELD"
    UNKNOWN_ITEM = "UNKNOWN_ITEM"
    UNKNOWN_SUBJECT = "UNKNOWN_SUBJECT"
    BAD_PERIOD = "BAD_PERIOD"
    EXCLUDED_GROUP = "EXCLUDED_GROUP"
    NOT_IN_MATRIX = "NOT_IN_MATRIX"
    NOT_PERMITTED = "NOT_PERMITTED"
    HISTORIC_NOT_PERMITTED = "HISTORIC_NOT_PERMITTED"
    NO_CONSENT = "NO_CONSENT"
    CONSENT_NOT_ACTIVE = "CONSENT_NOT_ACTIVE"
    NO_RELATIONSHIP = "NO_RELATIONSHIP"
    NOT_CURRENT = "NOT_CURRENT"
    OUTSIDE_ENTITLED_PERIOD = "OUTSIDE_ENTITLED_PERIOD"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    ALREADY_HOLDS_CREDENTIALS = "ALREADY_HOLDS_CREDENTIALS"


class At:
    """An instant in an explanation, written as UTC text only when the explanation is read."""

    __slots__ = ("instant",)

    def __init__(self, instant: int) -> None:
        self.instant = instant

    def __str__(self) -> str:
        return format_instant(self.instant)

    def __format__(self, spec: str) -> str:
        return str(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, At) and other.instant == self.instant

    def __hash__(self) -> int:
        return hash(self.instant)


# A reason is a template and its arguments: formatting (of times above all) costs more than the
# decision itself, so it happens when somebody reads the explanation, not when deciding.
Reason = tuple[str, tuple[object, ...]]


class Decision(NamedTuple):
    """What was decided, and the chain of reasons that led there.

    ``steps`` is the reasoning a compliance officer follows, one check per line, ending with the
    check that decided. ``allowed`` is empty on a deny and on a current-value request. A tuple
    underneath, because one is made for every decision.
    """

    request_id: str
    outcome: Outcome
    code: Code
    allowed: tuple[Period, ...] = ()
    reasons: tuple[Reason, ...] = ()

    @property
    def steps(self) -> tuple[str, ...]:
        return tuple(template.format(*args) for template, args in self.reasons)

    @property
    def explanation(self) -> str:
        """One line: the decisive reasons, as INTERCHANGE's ``explanation`` field."""
        return "; ".join(self.steps)

    def allowed_text(self) -> list[list[str]]:
        return [[format_instant(p.start), format_instant(p.end)] for p in self.allowed]

    def as_json(self) -> dict[str, object]:
        return {
            "request_id": self.request_id,
            "decision": self.outcome.value,
            "code": self.code.value,
            "allowed": self.allowed_text(),
            "explanation": self.explanation,
        }
