"""The offline coach: vague wishes get a short clarifying question, clear ones 3-5 concrete questions."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from coach.errors import CoachInputError, ConfigError
from coach.models import MAX_WISH_CHARS, Clarification, LearningQuestion
from coach.offline.bank import PROMPTS_DIR, load_question_bank, placeholders
from coach.offline.steps import OfflineCoach, default_coach, next_step, read_wish
from coach.offline.subject import slot_values

OTHER = "something else"
PRODUCT_WISH = (
    "I want a mentor. I work on the self-publishing side and want to understand traditional publishing."
)


def domain_words(domain: str) -> list[str]:
    words = [w for w in re.findall(r"[a-z0-9&+-]+", domain.lower()) if len(w) >= 3 and w != "the"]
    return [domain.lower(), *words]


def run_session(wish: str, pick: int = 0) -> tuple[list[Clarification], list[str], list[LearningQuestion]]:
    """Answer every clarification with choice `pick` until the coach proposes questions."""
    asked: list[Clarification] = []
    answers: list[str] = []
    step = next_step(wish, answers)
    while isinstance(step, Clarification):
        asked.append(step)
        assert len(asked) <= 2, f"more than two clarifying rounds for {wish!r}"
        answers.append(step.choices[min(pick, len(step.choices) - 1)])
        step = next_step(wish, answers)
    return asked, answers, step


@dataclass(frozen=True)
class Case:
    wish: str
    clarifies: bool
    domain: str | None = None  # the domain read once all clarifications are answered with their first choice
    facet: str | None = None  # a facet the questions must cover


CASES = [
    # vague: no subject, no goal
    Case("I want a mentor", clarifies=True),
    Case("help me grow", clarifies=True),
    Case("I need advice", clarifies=True),
    Case("Can you help me?", clarifies=True),
    Case("I don't know what I want", clarifies=True),
    Case("mentor pls", clarifies=True),
    Case("", clarifies=True),
    Case("I want to get better", clarifies=True, domain="communication and influence"),
    # a broad domain without a facet: which side of it?
    Case(PRODUCT_WISH, clarifies=True, domain="traditional publishing", facet="money-and-metrics"),
    Case("I want a mentor in publishing", clarifies=True, domain="publishing"),
    Case("I want to understand healthcare", clarifies=True, domain="healthcare"),
    Case("I WANT TO UNDERSTAND MANUFACTURING", clarifies=True, domain="manufacturing"),
    Case("I want to learn more about retail", clarifies=True, domain="retail"),
    Case("Looking for a leadership mentor", clarifies=True, domain="leadership", facet="leading-people"),
    # clear enough: questions at once
    Case("how do royalties get calculated for audiobooks", clarifies=False, domain="audiobook publishing"),
    Case(
        "What financial metrics matter in traditional publishing?",
        False,
        "traditional publishing",
        "money-and-metrics",
    ),
    Case("I want to understand how the business makes money.", False, "the business", "money-and-metrics"),
    Case("I want to get better at machine learning", clarifies=False, domain="machine learning"),
    Case(
        "I'm a junior developer and want to get better at code reviews",
        clarifies=False,
        domain="code reviews",
    ),
    Case("I want to move from support into product management", False, "product management", "career-paths"),
    Case(
        "I'd like to get into data science, I'm currently an accountant",
        False,
        "data science",
        "career-paths",
    ),
    Case("I want to switch careers to UX design", clarifies=False, domain="UX design"),
    Case(
        "I'm a new manager and don't know how to give feedback",
        False,
        "people management",
        "feedback-and-difficult-conversations",
    ),
    Case("I'm a director and want to become a better leader", clarifies=False, domain="leadership"),
    Case(
        "I'd like to grow into a leadership role", clarifies=False, domain="leadership", facet="career-paths"
    ),
    Case(
        "I'm an intern in marketing and want to learn how campaigns work", clarifies=False, domain="marketing"
    ),
    Case(
        "I want to understand the public sector procurement process",
        False,
        "public sector",
        "process-and-how-work-flows",
    ),
    Case(
        "I work in finance and want to understand how our sales team works", clarifies=False, domain="sales"
    ),
    Case(
        "I want to learn about banking regulation",
        clarifies=False,
        domain="banking",
        facet="risks-and-mistakes",
    ),
    Case("teacher here, want to get better at teaching online", clarifies=False, domain="teaching online"),
    Case("I want to start using SQL for my reports", clarifies=False, domain="SQL", facet="getting-started"),
    Case(
        "I want to learn quantum computing",
        clarifies=False,
        domain="quantum computing",
        facet="getting-started",
    ),
    # non-native English, lower case, typos in the filler
    Case("i want learn about the cloud security, please help", clarifies=False, domain="cloud security"),
    Case("please i need mentor for become better leader", clarifies=False, domain="leadership"),
    Case("i wnat a mentro for undrestand publising", clarifies=True, domain="publishing"),
    Case(
        "i am nurse and want move to hospital administration",
        False,
        "hospital administration",
        "career-paths",
    ),
    Case("how i can be good manager", clarifies=False, domain="people management"),
    Case("want learn excel", clarifies=False, domain="Excel"),
    # specific questions from people at a publishing company
    Case("How do we decide how much to pay an author up front for a new book?", False, "publishing"),
    Case("Could a true-life book get us sued for what it says about a real person?", False, "publishing"),
    Case(
        "How do we keep the website from falling over during a huge preorder rush?",
        False,
        "software engineering",
    ),
    Case(
        "Why does the price of paper matter so much to us, and what do we do when it spikes?",
        False,
        "the price of paper",  # the question's own subject, not "the business"
    ),
    Case("what makes a good pitch deck?", clarifies=False, domain="pitch deck"),
    Case("I work in retail and want to move into e-commerce", False, "e-commerce", "career-paths"),
    Case(
        "As a new director, how do I set strategy for my department?",
        False,
        "leadership",
        "strategy-and-goals",
    ),
    Case(
        "I'm an editor thinking about switching into product management here",
        False,
        "product management",
        "career-paths",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.wish[:50] or "<empty>")
def test_each_wish_becomes_concrete_questions_within_two_rounds(case: Case) -> None:
    asked, answers, questions = run_session(case.wish)

    assert bool(asked) is case.clarifies
    for clarification in asked:
        assert 3 <= len(clarification.choices) <= 5
        assert OTHER in clarification.choices
        assert clarification.question.endswith("?")
    reading = read_wish(case.wish, answers)
    if case.domain is not None:
        assert reading.domain == case.domain
    assert 3 <= len(questions) <= 5
    texts = [q.text for q in questions]
    assert len({t.lower() for t in texts}) == len(texts)
    own_why = default_coach().bank.bank.user_question_why
    for question in questions:
        assert question.text.endswith("?")
        assert question.text[0].isupper()
        # The person's own question or focus is kept as they said it, not prefixed with "In X, ...".
        if question.why != own_why:
            assert any(word in question.text.lower() for word in domain_words(reading.domain)), question.text
        assert question.why and question.search_query and question.facet
        assert "{" not in question.text + question.why
    if case.facet is not None:
        assert case.facet in {q.facet for q in questions}


@dataclass(frozen=True)
class ReadCase:
    wish: str
    domain: str
    goal: str
    role: str = ""


READ_CASES = [
    ReadCase(PRODUCT_WISH, "traditional publishing", "understand", "the self-publishing side"),
    ReadCase(
        "I want to move from support into product management", "product management", "move into", "support"
    ),
    ReadCase(
        "I'm a junior developer and want to get better at code reviews",
        "code reviews",
        "get better at",
        "junior developer",
    ),
    ReadCase("I'm a new manager, help", "people management", "get better at", "new manager"),
    ReadCase("i want learn about the cloud security, please help", "cloud security", "understand"),
    ReadCase("I want to learn Python", "Python", "start doing"),
    ReadCase("I'm new to kubernetes", "cloud computing", "start doing"),
    ReadCase("become a florist", "the florist role", "move into"),
    ReadCase("Looking for a machine learning mentor", "machine learning", ""),
    ReadCase("I want a mentor", "", ""),
    ReadCase(
        "I'm an editor thinking about switching into product management here",
        "product management",
        "move into",
        "editor",
    ),
    ReadCase("Someone who can explain how a novel ends up becoming a TV show.", "publishing", "understand"),
    ReadCase(
        "Can someone walk me through planning the push for a new release, start to finish?",
        "planning the push",
        "understand",
    ),
    ReadCase("Which book should I read to get better at negotiation?", "negotiation", "get better at"),
    ReadCase("I want to get into cybersecurity from IT support", "cybersecurity", "move into", "IT support"),
    ReadCase(
        "I'm a new nurse manager at a hospital", "people management", "get better at", "new nurse manager"
    ),
]


@pytest.mark.parametrize("case", READ_CASES, ids=lambda c: c.wish[:50])
def test_read_wish_finds_domain_goal_and_role(case: ReadCase) -> None:
    reading = read_wish(case.wish)

    assert (reading.domain, reading.goal, reading.role) == (case.domain, case.goal, case.role)


def test_the_product_session_asks_about_publishing_then_proposes_money_questions() -> None:
    first = next_step(PRODUCT_WISH)

    assert isinstance(first, Clarification)
    assert first.question == "What about traditional publishing do you most want to understand first?"
    assert first.choices == [
        "how it makes money",
        "how books get acquired",
        "how sales and distribution work",
        "rights and licensing",
        OTHER,
    ]
    questions = next_step(PRODUCT_WISH, ["how it makes money"])
    assert isinstance(questions, list)
    assert [q.facet for q in questions[:3]] == ["money-and-metrics"] * 3
    assert "financial metrics" in questions[0].text
    assert questions[0].why == "so you can read their reports the way they do"
    assert "advance" in questions[2].text
    assert questions[2].search_query.startswith("title P&L advance modelling acquisitions finance")
    assert read_wish(PRODUCT_WISH, ["how it makes money"]).facets == ["money-and-metrics"]


def test_a_specific_question_is_kept_as_question_one() -> None:
    questions = next_step("how do royalties get calculated for audiobooks")

    assert isinstance(questions, list)
    assert questions[0].text == "How do royalties get calculated for audiobooks?"
    assert "royalties" in questions[0].search_query


@pytest.mark.parametrize(
    ("wish", "first"),
    [
        (
            "How do we decide how much to pay an author up front for a new book?",
            "How do we decide how much to pay an author up front for a new book?",
        ),
        (
            "Someone based in London who can explain how the UK book trade differs from the US.",
            "Could you walk me through how the UK book trade differs from the US?",
        ),
        (
            "I want to understand how the business makes money.",
            "Could you walk me through how the business makes money?",
        ),
        (
            "I'm editing a memoir that quotes song lyrics - are we allowed to print them?",
            "I'm editing a memoir that quotes song lyrics - are we allowed to print them?",
        ),
    ],
)
def test_the_persons_own_question_comes_first_as_they_asked_it(wish: str, first: str) -> None:
    """No "In publishing, ..." bolted on: the question stands as asked; matching adds the subject's words."""
    questions = next_step(wish)

    assert isinstance(questions, list)
    assert questions[0].text == first
    assert questions[0].why == default_coach().bank.bank.user_question_why


@pytest.mark.parametrize(
    ("wish", "kind"),
    [
        ("I want to understand how royalties are calculated", "topic"),
        ("I'm a junior developer and want to get better at code reviews", "skill"),
        ("our data warehouse", "topic"),
        ("I want to become a tech lead", "role"),
        ("clinical research", "topic"),
    ],
)
def test_subjects_outside_the_lexicon_only_get_templates_written_for_their_kind(wish: str, kind: str) -> None:
    coach = default_coach()
    reading = read_wish(wish)
    questions = next_step(wish)
    role = reading.domain.removeprefix("the ").removesuffix(" role")
    values = slot_values(reading.domain, kind, in_domain=None, unit=None, background="")  # type: ignore[arg-type]
    fitting = set()
    for facet in coach.bank.bank.facets.values():
        for template in facet.questions:
            if kind in template.kinds and "background" not in placeholders(template.text):
                text = template.text.format(**values)
                fitting.add(text[:1].upper() + text[1:])

    assert reading.kind == kind
    assert isinstance(questions, list)
    generated = [q.text for q in questions if q.why != coach.bank.bank.user_question_why]
    assert generated and all(text in fitting for text in generated), generated
    if kind == "role":
        assert all(f"in {role}" not in text for text in generated)


@pytest.mark.parametrize(
    ("wish", "first"),
    [
        (
            "I want to move from support into product management",
            "Which skills from support carry over to product",
        ),
        (
            "I work in retail and want to move into e-commerce",
            "Which skills from my work in retail carry over",
        ),
        ("I want to get into cybersecurity from IT support", "Which skills from IT support carry over"),
    ],
)
def test_a_career_change_names_where_the_person_comes_from(wish: str, first: str) -> None:
    questions = next_step(wish)

    assert isinstance(questions, list)
    assert questions[0].text.startswith(first)
    assert questions[0].why == "so you spend your effort on the real gaps"


@pytest.mark.parametrize("wish", ["I want a mentor", "help me grow", "I need advice", PRODUCT_WISH])
def test_never_more_than_two_clarifying_rounds_even_when_every_answer_is_something_else(wish: str) -> None:
    answers: list[str] = []
    step = next_step(wish, answers)
    while isinstance(step, Clarification):
        answers.append(OTHER)
        step = next_step(wish, answers)

    assert len(answers) <= 2
    assert 3 <= len(step) <= 5
    assert isinstance(next_step(wish, ["anything at all", "whatever"]), list)


@pytest.mark.parametrize(
    ("answers", "domain", "facet"),
    [
        (["machine learning"], "machine learning", None),
        (["1", "2"], "data analytics", None),  # choice numbers work like clicks
        (["Moving into a new area", "product management"], "product management", "career-paths"),
        (["something else: I'd like to understand how our pricing works"], "", None),
    ],
)
def test_typed_answers_are_folded_into_the_reading(
    answers: list[str], domain: str, facet: str | None
) -> None:
    step = next_step("I want a mentor", answers)
    reading = read_wish("I want a mentor", answers)

    if domain:
        assert reading.domain == domain
        assert isinstance(step, list)
    if facet:
        assert isinstance(step, list) and facet in {q.facet for q in step}


def test_a_free_text_facet_answer_becomes_the_first_question() -> None:
    questions = next_step(PRODUCT_WISH, ["the editorial calendar"])

    assert isinstance(questions, list)
    assert questions[0].text == "Could you walk me through the editorial calendar?"


def test_questions_are_the_same_in_another_process_with_another_hash_seed() -> None:
    script = (
        "import json; from coach.offline.steps import next_step; "
        f"print(json.dumps([q.model_dump() for q in next_step({PRODUCT_WISH!r}, ['how it makes money'])]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "4242"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)

    here = next_step(PRODUCT_WISH, ["how it makes money"])
    assert isinstance(here, list)
    assert json.loads(out.stdout) == [q.model_dump() for q in here]


def test_the_same_wish_always_gets_the_same_questions_and_different_wishes_vary() -> None:
    wishes = [f"I want to get better at {topic}" for topic in ("sales", "marketing", "finance", "operations")]
    fresh = OfflineCoach.load()

    for wish in wishes:
        assert next_step(wish) == next_step(wish) == fresh.next_step(wish)
    shapes = {tuple(q.text.replace(w.split()[-1], "X") for q in next_step(w)) for w in wishes}  # type: ignore[union-attr]
    assert len(shapes) > 1


@pytest.mark.parametrize("field", ["wish", "answer"])
def test_input_over_the_limit_is_refused_with_a_fix(field: str) -> None:
    long = "x" * (MAX_WISH_CHARS + 1)
    wish, answers = (long, []) if field == "wish" else ("I want a mentor", [long])

    with pytest.raises(CoachInputError, match="keep it under"):
        next_step(wish, answers)
    with pytest.raises(CoachInputError):
        read_wish(wish, answers)


def test_every_template_renders_for_every_domain() -> None:
    coach = default_coach()
    bank = coach.bank
    values = {"background": "support"}
    for domain in bank.domains.values():
        for facet in bank.bank.facets:
            own, generic = bank.templates(domain, facet)
            for template in [*own, *generic]:
                unit = domain.unit or f"the {domain.name} team"
                text = template.text.format(
                    domain=domain.name, in_domain=domain.in_domain or f"in {domain.name}", unit=unit, **values
                )
                assert text.endswith("?") and any(w in text.lower() for w in domain_words(domain.name)), text


def _set_text(text: str) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        data["facets"]["customers"]["questions"][0]["text"] = text

    return edit


BREAKAGES: dict[str, Callable[[dict[str, Any]], None]] = {
    "unknown placeholder": _set_text("Who buys {product} {in_domain}?"),
    "no subject": _set_text("Who are the customers?"),
    "missing key": lambda data: data["facets"]["customers"]["questions"][0].pop("why"),
    "unknown facet": lambda data: data["domains"][0].update(
        choices=[{"label": "a", "facet": "nope"}, {"label": "b", "facet": "customers"}]
    ),
    "alias in two domains": lambda data: data["domains"][1]["aliases"].append("trad publishing"),
    "missing word list": lambda data: data.pop("stopwords"),
}


def _broken_copy(tmp_path: Path, file: str, breakage: str) -> Path:
    target = tmp_path / "prompts"
    shutil.copytree(PROMPTS_DIR, target)
    path = target / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    BREAKAGES[breakage](data)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return target


@pytest.mark.parametrize(
    ("file", "edit", "message"),
    [
        ("question_bank.yaml", "unknown placeholder", "unknown placeholder"),
        ("question_bank.yaml", "missing key", "why"),
        ("question_bank.yaml", "no subject", "must name the subject"),
        ("domains.yaml", "unknown facet", "unknown facet 'nope'"),
        ("domains.yaml", "alias in two domains", "already means 'traditional publishing'"),
        ("wish_words.yaml", "missing word list", "stopwords"),
    ],
)
def test_a_broken_bank_fails_loudly_on_load(tmp_path: Path, file: str, edit: str, message: str) -> None:
    prompts = _broken_copy(tmp_path, file, edit)

    with pytest.raises(ConfigError, match=message):
        load_question_bank(prompts)
