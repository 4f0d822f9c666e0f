"""Typed errors. Each renders as one line a person can act on."""

from __future__ import annotations

from dataclasses import dataclass


class OmsError(Exception):
    """Base class of the errors this package raises on bad input or failed checks."""


@dataclass(frozen=True)
class Problem:
    """One problem in an input file: where it is, which term, what is wrong and what to do."""

    file: str
    line: int | None
    term: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        term = f" {self.term!r}:" if self.term else ""
        return f"{where}:{term} {self.message}"


class DataError(OmsError):
    """Curated data that cannot be built: a list of problems, each naming file, line and term."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
