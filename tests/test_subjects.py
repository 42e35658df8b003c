"""What a wish is about, and whether it reaches the right people: specific subjects keep the person's words
unless a known domain is strongly evidenced, other languages and typos get a clarification that helps.

Table-driven over tests/data/subject_wishes.yaml, through the offline coach and CoachService with the bundled
sample organisation (a publisher).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from coach.config import load_settings
from coach.models import Clarification
from coach.offline.language import other_language
from coach.offline.steps import default_coach, next_step, read_wish
from coach.offline.subject_finder import weigh
from coach.referrals import referral_question
from coach.runtime import build_service, open_index
from coach.service import CoachService
from vectorstore.models import ExpertProfile

WISHES = Path(__file__).resolve().parent / "data" / "subject_wishes.yaml"


@dataclass(frozen=True)
class Wish:
    wish: str
    subject: str | None = None
    nobody: bool = False
    departments: list[str] = field(default_factory=list)
    language: str | None = None
    suggests: str | None = None
    answer: str | None = None

    @property
    def answers(self) -> list[str]:
        return [self.answer] if self.answer else []


CASES = [Wish(**row) for row in yaml.safe_load(WISHES.read_text(encoding="utf-8"))]


def _ids(case: Wish) -> str:
    return case.wish[:45]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CoachService]:
    settings = load_settings(data_dir=tmp_path_factory.mktemp("sample-org"))
    with open_index(settings) as index:
        yield build_service(settings, index)


def test_the_table_is_varied_enough() -> None:
    assert len(CASES) >= 30
    assert sum(c.nobody for c in CASES) >= 10
    assert sum(bool(c.departments) for c in CASES) >= 15
    assert sum(bool(c.language) for c in CASES) >= 4


@pytest.mark.parametrize("case", [c for c in CASES if c.subject], ids=_ids)
def test_the_subject_is_the_persons_words_unless_a_domain_is_strongly_named(case: Wish) -> None:
    assert read_wish(case.wish, case.answers).domain.lower() == (case.subject or "").lower()


@pytest.mark.parametrize("case", [c for c in CASES if c.nobody or c.departments], ids=_ids)
def test_the_questions_reach_plausible_people_or_a_connector(service: CoachService, case: Wish) -> None:
    step = service.step(case.wish, case.answers)
    assert step.clarification is None, step.clarification
    results = service.match(step.questions)
    first = results[0]
    people = [(m.profile.title, m.profile.department) for m in first.matches]
    if case.nobody:  # every question, not just the first: none may drift to a domain's people
        for result in results:
            assert result.nobody_fits and result.connector is not None, (result.question.text, people)
    else:
        assert not first.nobody_fits, (first.question.text, people)
        assert first.matches[0].profile.department in case.departments, (first.question.text, people)


@pytest.mark.parametrize("case", [c for c in CASES if c.language], ids=_ids)
def test_another_language_is_named_and_the_english_choices_offered(case: Wish) -> None:
    step = next_step(case.wish)
    assert isinstance(step, Clarification)
    assert case.language in step.question and "English" in step.question
    assert step.choices == [c.label for c in default_coach().bank.bank.clarifications["start"].choices]


@pytest.mark.parametrize("case", [c for c in CASES if c.suggests], ids=_ids)
def test_unknown_words_get_did_you_mean(case: Wish) -> None:
    step = next_step(case.wish)
    assert isinstance(step, Clarification)
    assert case.suggests in step.choices
    assert {"as I wrote it", "something else"} <= set(step.choices)


@pytest.mark.parametrize(
    "text",
    ["finacial modleing", "asdf qwerty", "zzzz", "kubernetis", "leadrship skils", "negociation skils",
     "I wnat to lern abuot markting", "data enginering", "ESG reporting", "GDPR", "mentor pls", "🙂🙂"],
)  # fmt: skip
def test_english_with_typos_or_nonsense_is_not_taken_for_another_language(text: str) -> None:
    assert other_language(text, default_coach().lexicon.vocabulary) == ""


@pytest.mark.parametrize(
    ("phrase", "evidence"),
    [
        ("satellite orbit design", "head"),  # one field word narrowed by words it does not know
        ("design of satellite orbits", "head"),
        ("deep sea fisheries management", "head"),
        ("hospital administration", "modifier"),  # a field word narrowing an unknown head
        ("business development", "strong"),  # the domain's own phrase
        ("banking regulation", "strong"),  # a field narrowed to a side the coach knows
        ("a true-life book", "strong"),  # an everyday word for a thing of the domain
        ("marketing", "strong"),
    ],
)
def test_how_strongly_a_phrase_names_a_domain(phrase: str, evidence: str) -> None:
    assert weigh(phrase, default_coach().lexicon)[1] == evidence


@pytest.mark.parametrize(
    ("typed", "fixed"),
    [
        ("forcasting", "forecasting"),  # not "podcasting", a lexicon word two edits away
        ("statments", "statements"),
        ("finacial", "financial"),
        ("prodcut", "product"),
        ("onboarding", "onboarding"),  # a known word with a prefix: jargon, left alone
        ("upskilling", "upskilling"),
        ("recommender", "recommender"),
        ("figma", "figma"),  # not "sigma": typos seldom change the first letter
        ("modleing", "modleing"),  # two edits and several candidates: asked, not guessed
    ],
)
def test_typos_are_fixed_only_when_the_fix_is_clear(typed: str, fixed: str) -> None:
    assert default_coach().lexicon.vocabulary.fix(typed) == fixed


@pytest.mark.parametrize(
    ("profile", "suggested", "question"),
    [
        (
            ExpertProfile(id="p1", name="Joanna Lee", title="Rights Director", expertise=["rights strategy", "translation rights", "book fairs"]),
            "",
            "What could Joanna teach me about rights strategy and translation rights?",
        ),
        (
            ExpertProfile(id="p2", name="Sam Roy", title="FP&A Analyst"),
            "",
            "What could Sam teach me from working as FP&A Analyst?",
        ),
        (
            ExpertProfile(id="p3", name="Ana", title="Editor", expertise=["acquisitions"]),
            "how advances are sized.",
            "What could Ana teach me about how advances are sized?",
        ),
        (ExpertProfile(id="p4", name="Kit"), "", "What is Kit working on that I could learn from?"),
    ],
)  # fmt: skip
def test_a_referral_question_says_something_real(
    profile: ExpertProfile, suggested: str, question: str
) -> None:
    asked = referral_question(profile, suggested)
    assert asked.text == question
    assert "what they work on" not in asked.text and asked.search_query
