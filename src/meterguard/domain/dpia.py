"""The privacy screening of a change to the permissions matrix (seed 000).

Two question sets, worded as in Xoserve's Disclosure Request Report 052002: the Stage 1 initial
screening questions of its Data Privacy Impact Assessment template (DPIA-S1-1 to DPIA-S1-10), and
the thirteen tests (a) to (m) it applies to decide whether a Privacy Impact Assessment is needed.
The template's rule: any "yes", or any privacy risk identified, means Stage 2 must be completed;
only all "no" with no risk lets the change stop at Stage 1, and that record is kept with the
change it screens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Question:
    ref: str
    text: str


STAGE1_QUESTIONS: tuple[Question, ...] = (
    Question(
        "DPIA-S1-1",
        "Are you doing something new or different with personal data? (This includes but is not "
        "limited to a change in purpose or method.)",
    ),
    Question(
        "DPIA-S1-2",
        "Are you sharing or providing to the personal data to a person or company we haven’t "
        "given it to before?",
    ),
    Question(
        "DPIA-S1-3",
        "Regulatory: What are the business consequences of regulatory failure if little to no "
        "information is available do demonstrate internal controls?",
    ),
    Question(
        "DPIA-S1-4", "Are you giving more or different personal data to an existing supplier?"
    ),
    Question("DPIA-S1-5", "Are you using new technology to do something with Personal Data?"),
    Question(
        "DPIA-S1-6",
        "Will you be combining, comparing or matching personal data with personal or other data "
        "from multiple sources?",
    ),
    Question(
        "DPIA-S1-7",
        "Does the personal data include any of the following? Financial data; Health data; Racial "
        "or Ethnic Origin; Political Opinions; Religious or philosophical beliefs; Trade Union "
        "Membership; Genetic or biometric data; Sex life or sexual orientation; Criminal data; "
        "Children; Vulnerable people.",
    ),
    Question(
        "DPIA-S1-8",
        "Will the change result in Xoserve making decisions or taking action about individuals? "
        "For example, by consumer/ customer profiling, automated decision making or systematic "
        "monitoring of people.",
    ),
    Question("DPIA-S1-9", "Will individuals be contacted by Xoserve?"),
    Question(
        "DPIA-S1-10", "Will we be relying on others to tell people what we do with personal data?"
    ),
)

DRR_TESTS: tuple[Question, ...] = (
    Question(
        "DRR-a", "Will the project involve the collection of new information about individuals?"
    ),
    Question(
        "DRR-b", "Will the project compel individuals to provide information about themselves?"
    ),
    Question(
        "DRR-c",
        "Will information about individuals be disclosed to organisations or people who have not "
        "previously had routine access to the information?",
    ),
    Question(
        "DRR-d",
        "Are you using information about individuals for a purpose it is not currently used for, "
        "or in a way it is not currently used?",
    ),
    Question(
        "DRR-e",
        "Does the project involve you using new technology that might be perceived as being "
        "privacy intrusive? For example, the use of biometrics or facial recognition.",
    ),
    Question(
        "DRR-f",
        "Will the project result in you making decisions or taking action against individuals in "
        "ways that can have a significant impact on them?",
    ),
    Question(
        "DRR-g",
        "Is the information about individuals of a kind particularly likely to raise privacy "
        "concerns or expectations? For example, health records, criminal records or other "
        "information that people would consider to be private.",
    ),
    Question(
        "DRR-h",
        "Will the project require you to contact individuals in ways that they may find intrusive?",
    ),
    Question("DRR-i", "Will the disclosure of information utilise new technology for Xoserve?"),
    Question(
        "DRR-j", "Will the disclosure include information that identifies a vulnerable customer?"
    ),
    Question("DRR-k", "Will the disclosure release mass data to a party?"),
    Question(
        "DRR-l",
        "Will the disclosure include information that identifies an occurrence of theft of gas.",
    ),
    Question("DRR-m", "Will the disclosure require a fundamental change to Xoserve business"),
)

QUESTIONS: tuple[Question, ...] = STAGE1_QUESTIONS + DRR_TESTS
QUESTION_BY_REF: dict[str, Question] = {q.ref: q for q in QUESTIONS}


class IncompleteScreening(ValueError):
    """A screening that does not answer every question, or answers one that does not exist."""


@dataclass(frozen=True, slots=True)
class Answer:
    yes: bool
    comment: str = ""


@dataclass(frozen=True, slots=True)
class Screening:
    """A completed screening: every question answered, and the privacy risks identified."""

    answers: Mapping[str, Answer]
    risks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.answers) - set(QUESTION_BY_REF))
        if unknown:
            raise IncompleteScreening(f"no such screening question: {', '.join(unknown)}")
        missing = [q.ref for q in QUESTIONS if q.ref not in self.answers]
        if missing:
            raise IncompleteScreening(f"unanswered: {', '.join(missing)}")
        if any(not risk.strip() for risk in self.risks):
            raise IncompleteScreening("a privacy risk must be described, not left blank")

    @property
    def answered_yes(self) -> tuple[str, ...]:
        return tuple(q.ref for q in QUESTIONS if self.answers[q.ref].yes)

    @property
    def requires_stage2(self) -> bool:
        """Stage 2 is needed on any "yes" or any privacy risk identified (seed 000)."""
        return bool(self.answered_yes or self.risks)

    @property
    def outcome(self) -> str:
        if not self.requires_stage2:
            return "stage 1 complete: all answers no and no privacy risk identified"
        reasons = [*self.answered_yes, *(f"risk: {r}" for r in self.risks)]
        return "stage 2 required: " + "; ".join(reasons)


def screening_from_mapping(data: Mapping[str, object]) -> Screening:
    """A screening from its JSON form: ``{"answers": {ref: "yes" | "no" | {"answer": ...,
    "comment": ...}}, "risks": [text, ...]}``."""
    raw_answers = data.get("answers")
    if not isinstance(raw_answers, Mapping):
        raise IncompleteScreening('"answers" must map each question reference to yes or no')
    answers: dict[str, Answer] = {}
    for ref, value in raw_answers.items():
        comment = ""
        if isinstance(value, Mapping):
            comment = str(value.get("comment", ""))
            value = value.get("answer")
        if isinstance(value, bool):
            yes = value
        elif isinstance(value, str) and value.strip().lower() in ("yes", "no"):
            yes = value.strip().lower() == "yes"
        else:
            raise IncompleteScreening(f"{ref}: answer {value!r} is not yes or no")
        answers[str(ref)] = Answer(yes, comment)
    risks = data.get("risks", [])
    if not isinstance(risks, list) or not all(isinstance(r, str) for r in risks):
        raise IncompleteScreening('"risks" must be a list of descriptions')
    return Screening(answers, tuple(risks))
