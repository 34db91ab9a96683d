"""Problems found in an import, each pinned to a file, a line and a column."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.message}"


class ImportRejected(Exception):
    """The folder holds invalid rows; nothing was written."""

    def __init__(self, problems: list[Problem], more: int = 0) -> None:
        super().__init__(f"{len(problems) + more} problem(s); nothing was imported")
        self.problems = problems
        self.more = more
