"""The DPIA Stage 1 questions and DRR tests of seed 000, and when Stage 2 is required."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from meterguard.domain.dpia import (
    DRR_TESTS,
    QUESTIONS,
    STAGE1_QUESTIONS,
    Answer,
    IncompleteScreening,
    Screening,
    screening_from_mapping,
)

SEED_000 = Path(__file__).parents[4] / "shared" / "seeds" / "000_8f1bc62288fec5ca.txt"


def all_no() -> dict[str, Answer]:
    return {q.ref: Answer(False) for q in QUESTIONS}


def test_there_are_ten_stage1_questions_and_thirteen_drr_tests() -> None:
    assert [q.ref for q in STAGE1_QUESTIONS] == [f"DPIA-S1-{n}" for n in range(1, 11)]
    assert [q.ref for q in DRR_TESTS] == [f"DRR-{c}" for c in "abcdefghijklm"]


@pytest.mark.skipif(not SEED_000.exists(), reason="seed 000 is not beside the worktree")
def test_every_question_is_worded_as_in_seed_000() -> None:
    def norm(text: str) -> str:
        return re.sub(r"[\s·;]+", " ", text).strip()

    seed = norm(SEED_000.read_text(encoding="utf-8"))
    for q in QUESTIONS:
        if q.ref == "DPIA-S1-7":  # a bulleted list in the seed, joined with "; " here
            assert norm("Does the personal data include any of the following?") in seed
            continue
        assert norm(q.text) in seed, q.ref


def test_all_no_and_no_risk_stops_at_stage1() -> None:
    screening = Screening(all_no())
    assert not screening.requires_stage2
    assert screening.outcome.startswith("stage 1 complete")


@pytest.mark.parametrize("ref", [q.ref for q in QUESTIONS])
def test_any_yes_requires_stage2(ref: str) -> None:
    answers = all_no() | {ref: Answer(True, "because")}
    screening = Screening(answers)
    assert screening.requires_stage2
    assert screening.answered_yes == (ref,)


def test_a_privacy_risk_alone_requires_stage2() -> None:
    screening = Screening(all_no(), risks=("mass release",))
    assert screening.requires_stage2
    assert "risk: mass release" in screening.outcome


def test_an_unanswered_or_unknown_question_is_refused() -> None:
    answers = all_no()
    del answers["DRR-k"]
    with pytest.raises(IncompleteScreening, match="DRR-k"):
        Screening(answers)
    with pytest.raises(IncompleteScreening, match="DRR-z"):
        Screening(all_no() | {"DRR-z": Answer(False)})
    with pytest.raises(IncompleteScreening, match="blank"):
        Screening(all_no(), risks=("  ",))


def test_a_screening_is_read_from_its_json_form() -> None:
    data = {
        "answers": {q.ref: "no" for q in QUESTIONS}
        | {"DRR-k": {"answer": "yes", "comment": "bulk"}},
        "risks": [],
    }
    screening = screening_from_mapping(data)
    assert screening.answered_yes == ("DRR-k",)
    assert screening.answers["DRR-k"].comment == "bulk"
    with pytest.raises(IncompleteScreening, match="maybe"):
        screening_from_mapping({"answers": {q.ref: "maybe" for q in QUESTIONS}})
