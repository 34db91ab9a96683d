"""Reading one CSV row's fields into typed values, collecting every problem on the way."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from meterguard.domain.period import EmptyPeriod, Period
from meterguard.domain.time import FOREVER, BadInstant, Instant, parse_instant
from meterguard.services.importing.problems import Problem

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


class RowReader:
    """Typed accessors over one row; a bad field records a problem and yields a placeholder.

    Callers check ``ok`` once at the end, so one row reports all of its problems together.
    """

    def __init__(self, file: str, line: int, row: dict[str, str]) -> None:
        self.file = file
        self.line = line
        self.row = row
        self.problems: list[Problem] = []

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.file, self.line, column, message))

    def raw(self, column: str) -> str:
        return self.row.get(column, "").strip()

    def text(self, column: str, pattern: re.Pattern[str] | None = None, what: str = "") -> str:
        value = self.raw(column)
        if not value:
            self.fail(column, "is required")
        elif pattern is not None and not pattern.match(value):
            self.fail(column, f"{value!r} is not {what or 'valid'}")
        return value

    def optional(self, column: str) -> str | None:
        return self.raw(column) or None

    def choice(self, column: str, enum: type[E]) -> E | None:
        value = self.raw(column)
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            self.fail(column, f"{value!r} is not one of: {allowed}" if value else "is required")
            return None

    def optional_choice(self, column: str, enum: type[E]) -> E | None:
        return self.choice(column, enum) if self.raw(column) else None

    def checked(self, column: str, check: Callable[[str], T]) -> T | None:
        """The value passed through a domain validator that raises ``ValueError``."""
        value = self.raw(column)
        if not value:
            self.fail(column, "is required")
            return None
        try:
            return check(value)
        except ValueError as exc:
            self.fail(column, str(exc))
            return None

    def instant(self, column: str) -> Instant | None:
        return self.checked(column, parse_instant)

    def optional_instant(self, column: str) -> Instant | None:
        value = self.raw(column)
        if not value:
            return None
        try:
            return parse_instant(value)
        except BadInstant as exc:
            self.fail(column, str(exc))
            return None

    def count(self, column: str) -> int | None:
        value = self.raw(column)
        if not value:
            return None
        if not value.isdigit():
            self.fail(column, f"{value!r} is not a whole number of premises")
            return None
        return int(value)

    def boolean(self, column: str) -> bool:
        value = self.raw(column).lower()
        if value in ("", "false"):
            return False
        if value == "true":
            return True
        self.fail(column, f"{value!r} is not true or false")
        return False

    def number(self, column: str) -> float | None:
        value = self.raw(column)
        try:
            number = float(value)
        except ValueError:
            self.fail(column, f"{value!r} is not a number" if value else "is required")
            return None
        if not math.isfinite(number):
            self.fail(column, f"{value!r} is not a finite number")
            return None
        return number

    def period(self, start_column: str, end_column: str) -> Period | None:
        start = self.instant(start_column)
        end = self.optional_instant(end_column)
        if start is None or (end is None and self.raw(end_column)):
            return None
        try:
            return Period(start, FOREVER if end is None else end)
        except EmptyPeriod:
            self.fail(end_column, f"{self.raw(end_column)} is not after {start_column}")
            return None
