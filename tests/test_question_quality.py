"""The question-quality check: no seams in what a person reads, over the varied wishes in tests/data/wishes.yaml.

Each rule of `coach.offline.seams` is tested on text that has the seam and on text that does not, so a
zero count means "checked and clean", not "never looked".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks.question_quality import DEFAULT_WISHES, load_wishes, run_check
from coach.clauses import fit_phrase, fit_question, is_direct_question, topic_of
from coach.offline.phrases import display_case, with_article
from coach.offline.seams import RULES, SeamChecker
from coach.offline.steps import default_coach
from coach.offline.subject import gerund

MIN_WISHES = 60


def checker() -> SeamChecker:
    words = default_coach().bank.words
    return SeamChecker(words.role_nouns, default_coach().bank.acronyms, words.vague)


def test_the_wishes_file_is_varied_enough() -> None:
    cases = load_wishes(DEFAULT_WISHES)
    kinds = {case.kind for case in cases}

    assert len(cases) >= MIN_WISHES
    assert kinds >= {"role", "field", "topic", "skill", "vague", "typo", "non_english", "nonsense"}


def test_no_seams_in_questions_agendas_or_intros(capsys: pytest.CaptureFixture[str]) -> None:
    report = run_check([DEFAULT_WISHES])
    summary = {"wishes": report.wishes, "questions": report.questions, "texts": report.texts, **report.counts}
    with capsys.disabled():
        print(f"\nquestion-quality check: {json.dumps(summary)}")

    assert report.wishes >= MIN_WISHES and report.questions >= 3 * report.wishes - 10
    assert set(report.counts) >= set(RULES)
    failures = "\n".join(f"{f.rule} [{f.where}] {f.detail!r}: {f.text}" for f in report.failures[:30])
    assert report.total == 0, f"{report.total} seams:\n{failures}"


@dataclass(frozen=True)
class SeamCase:
    rule: str
    bad: str
    good: str
    subject: str = ""
    thing: bool = False
    prose: bool = False  # a message, not a question


SEAM_CASES = [
    SeamCase(
        "role_after_preposition",
        "When you started in tech lead, what helped you build trust fastest?",
        "When you became a tech lead, what helped you build trust fastest?",
    ),
    SeamCase(
        "role_after_preposition",
        "What does a useful one-to-one look like in scrum master?",
        "What does a useful one-to-one look like in the scrum master role?",
    ),
    SeamCase(
        "leading_fragment",
        "In the business, could you walk me through how the company makes money?",
        "Could you walk me through how the company makes money?",
    ),
    SeamCase("leading_fragment", "In quantum computing, how it works?", "How does quantum computing work?"),
    SeamCase("not_a_question", "How it works?", "How does it work?"),
    SeamCase("not_a_question", "I don't know, maybe leadership?", "What makes a good leader?"),
    SeamCase("repeated_words", "Which numbers matter most in the the team?", "Which numbers matter most?"),
    SeamCase(
        "repeated_words",
        "How does money make or save money for the company?",
        "How does the team make or save money for the company?",
        subject="money",
    ),
    SeamCase(
        "cut_sentence",
        "I'd love your take on “Which skills from my work in customer support carry over to…?”",
        "I'd love your take on “Which skills from customer support carry over to product?”",
        prose=True,
    ),
    SeamCase(
        "cut_sentence",
        "I'd love your take on “When you started in leadership?”",
        "I'd love your take on “How did you start in leadership?”",
        prose=True,
    ),
    SeamCase(
        "thing_as_person",
        "How did you get good at our data warehouse?",
        "Who relies most on our data warehouse?",
        subject="our data warehouse",
        thing=True,
    ),
    SeamCase(
        "thing_as_person",
        "Which habit made the biggest difference to your GDPR?",
        "Which risks or rules around GDPR does everyone need to know about?",
        subject="GDPR",
        thing=True,
    ),
    SeamCase("placeholder", "Which skills from {background} carry over?", "Which skills carry over?"),
    SeamCase(
        "placeholder", "Which skills from my current role carry over to sales?", "Which skills carry over?"
    ),
    SeamCase(
        "placeholder", "What could Joanna teach me about what they work on?", "What could Joanna teach me?"
    ),
    SeamCase("punctuation", "What matters most ?", "What matters most?"),
    SeamCase("casing", "Which steps in l&d matter most?", "Which steps in L&D matter most?"),
    SeamCase("article", "What does a expert look for?", "What does an expert look for in a user story?"),
]


@pytest.mark.parametrize("case", SEAM_CASES, ids=lambda c: f"{c.rule}:{c.bad[:30]}")
def test_each_rule_finds_its_seam_and_passes_clean_text(case: SeamCase) -> None:
    seams = checker()

    check = seams.prose if case.prose else seams.question
    found = {s.rule for s in check(case.bad, subject=case.subject, thing=case.thing)}
    clean = check(case.good, subject=case.subject, thing=case.thing)

    assert case.rule in found
    assert clean == [], clean


@pytest.mark.parametrize(
    ("subject", "rule"),
    [
        ("20 minutes on in the business?", "leading_fragment"),
        ("20 minutes on which skills from my work in customer support carry over to…?", "cut_sentence"),
        ("20 minutes on " + "a very long and winding topic " * 3 + "?", "long_subject"),
    ],
)
def test_subject_lines_are_whole_and_short(subject: str, rule: str) -> None:
    seams = checker()

    assert rule in {s.rule for s in seams.subject_line(subject)}
    assert seams.subject_line("20 minutes on data engineering?") == []


def test_duplicates_and_an_empty_opener_are_seams() -> None:
    seams = checker()
    same = ["Which numbers matter most in sales?", "Which numbers matter most in sales, and why?"]

    assert seams.duplicates(same, "sales")
    assert not seams.duplicates(["Which numbers matter most in sales?", "Who buys from us?"], "sales")
    assert seams.opener("Why I asked Andrés.", ["product", "support"], ["roadmaps", "discovery"])
    good = "I work in support and want to move into product. Why Andrés: their work on product discovery."
    assert seams.opener(good, ["product", "support"], ["roadmaps", "discovery"]) == []


@pytest.mark.parametrize(
    ("text", "direct"),
    [
        ("How does pricing work?", True),
        ("How it works?", False),
        ("How to negotiate?", False),
        ("What metrics does the finance team look at?", True),
        ("What it costs?", False),
        ("Who owns the data warehouse roadmap?", True),
        ("What's the difference between margin and markup?", True),
        ("If you were starting today, what would you learn first?", True),
        ("When you started in leadership?", False),
        ("Could you walk me through the editorial calendar?", True),
        ("I'm editing a memoir that quotes lyrics - are we allowed to print them?", True),
        ("From IC to manager?", False),
    ],
)
def test_a_direct_question_is_told_from_a_fragment(text: str, direct: bool) -> None:
    assert is_direct_question(text) is direct


@pytest.mark.parametrize(
    ("question", "limit", "expected"),
    [
        ("Which skills from support carry over to product, and which gaps should I close first?", 60,
         "Which skills from support carry over to product?"),
        ("What does a typical week look like for someone working in traditional publishing?", 40,
         "What does a typical week look like?"),
        ("When you started in leadership, what helped you build trust with a new team fastest?", 40, ""),
        ("How do I ask my boss for a raise without it getting awkward?", 40, "How do I ask my boss for a raise?"),
    ],
)  # fmt: skip
def test_questions_are_shortened_at_clauses_and_phrases_only(
    question: str, limit: int, expected: str
) -> None:
    assert fit_question(question, limit) == expected


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("Which financial metrics does the division watch most closely, and why?", "financial metrics"),
        ("Could you walk me through how our pricing works?", "how our pricing works"),
        ("What paths have people taken into data engineering, and which worked best?", "data engineering"),
        ("What does a typical week look like for a tech lead?", "a tech lead"),
        ("Why do our releases always slip?", ""),
    ],
)
def test_a_topic_is_a_whole_noun_phrase_or_nothing(question: str, topic: str) -> None:
    assert topic_of(question) == topic
    assert fit_phrase("quantum computing for drug discovery", 20) == "quantum computing"


@pytest.mark.parametrize(
    ("noun", "expected"),
    [("tech lead", "a tech lead"), ("editor", "an editor"), ("SRE", "an SRE"), ("CFO", "a CFO"),
     ("one-person team", "a one-person team"), ("MBA student", "an MBA student")],
)  # fmt: skip
def test_articles_follow_the_sound_not_the_letter(noun: str, expected: str) -> None:
    assert with_article(noun) == expected


@pytest.mark.parametrize(
    ("typed", "shown"),
    [("tEcH LeAd", "tech lead"), ("ESG reporting", "ESG reporting"), ("l&d", "L&D"), ("data engineering", "data engineering")],
)  # fmt: skip
def test_subjects_are_shown_in_the_casing_a_sentence_needs(typed: str, shown: str) -> None:
    assert display_case(typed) == shown


@pytest.mark.parametrize(
    ("verb", "form"),
    [("negotiate", "negotiating"), ("run", "running"), ("lead", "leading"), ("open", "opening")],
)
def test_how_to_wishes_become_skills_in_the_ing_form(verb: str, form: str) -> None:
    assert gerund(verb) == form


def test_the_check_runs_as_a_script_that_prints_json(tmp_path: Path) -> None:
    import subprocess
    import sys

    wishes = tmp_path / "wishes.yaml"
    wishes.write_text("- {wish: 'our data warehouse', kind: topic}\n- {wish: 'zzzz', kind: nonsense}\n")
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "question_quality.py"
    out = subprocess.run(
        [sys.executable, str(script), str(wishes), "--counts-only"],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(out.stdout)
    assert report["wishes"] == 2 and report["seams_total"] == 0 and set(report["counts"]) == set(RULES)
