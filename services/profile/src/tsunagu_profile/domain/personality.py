"""The personality test: a fixed questionnaire (shipped as data) and its scoring.

Each answer is on a 1–5 scale; reversed questions count 6 − answer. A trait's
score is its share of the possible range, 0–100. The result type is the type of
the highest trait; ties go to the trait listed first in the questionnaire.
"""

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from tsunagu_profile.domain.errors import InvalidField


@dataclass(frozen=True)
class Questionnaire:
    raw: dict[str, Any]

    @property
    def questions(self) -> list[dict[str, Any]]:
        questions: list[dict[str, Any]] = self.raw["questions"]
        return questions

    @property
    def traits(self) -> list[str]:
        return list(self.raw["traits"])

    def localized(self, locale: str) -> dict[str, Any]:
        """The questionnaire as a student sees it, in Japanese or English (never the scoring key)."""
        scale = self.raw["scale"]
        return {
            "id": self.raw["id"],
            "locale": locale,
            "scale": {"min": scale["min"], "max": scale["max"], "labels": scale["labels"][locale]},
            "questions": [{"id": q["id"], "text": q[locale]} for q in self.questions],
        }


@cache
def questionnaire() -> Questionnaire:
    """The shipped questionnaire (package data)."""
    text = resources.files("tsunagu_profile").joinpath("data/personality_test.json").read_text(encoding="utf-8")
    return Questionnaire(json.loads(text))


def score(answers: dict[str, int], test: Questionnaire | None = None) -> tuple[str, dict[str, int]]:
    """Score a complete set of answers into (result type, trait scores 0–100)."""
    test = test or questionnaire()
    low, high = test.raw["scale"]["min"], test.raw["scale"]["max"]
    _check_answers(answers, test, low, high)
    totals = {trait: [0, 0] for trait in test.traits}
    for question in test.questions:
        value = answers[question["id"]]
        points = (low + high - value) if question["reverse"] else value
        totals[question["trait"]][0] += points - low
        totals[question["trait"]][1] += high - low
    traits = {trait: round(100 * got / possible) for trait, (got, possible) in totals.items()}
    top = max(test.traits, key=lambda trait: (traits[trait], -test.traits.index(trait)))
    return test.raw["result_types"][top]["type"], traits


def _check_answers(answers: dict[str, int], test: Questionnaire, low: int, high: int) -> None:
    known = {q["id"] for q in test.questions}
    for question_id, value in answers.items():
        if question_id not in known:
            raise InvalidField(("body", "answers", question_id), "not a question of this test")
        if not low <= value <= high:
            raise InvalidField(("body", "answers", question_id), f"answer on the scale {low}–{high}")
    for question_id in sorted(known - answers.keys()):
        raise InvalidField(("body", "answers", question_id), "every question needs an answer")
