"""Knowing when nobody here knows, and the right people first, on the bundled sample organisation."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from coach.config import SAMPLE_PROFILES
from coach.matching import match_question
from coach.models import LearningQuestion
from vectorstore.embeddings import OfflineEmbedding
from vectorstore.index import ExpertIndex
from vectorstore.models import ExpertProfile
from vectorstore.profiles import load_profiles

QUESTIONS = yaml.safe_load(
    (Path(__file__).parent / "data" / "fit_questions.yaml").read_text(encoding="utf-8")
)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExpertIndex]:
    with ExpertIndex.open(tmp_path_factory.mktemp("sample-org"), OfflineEmbedding()) as idx:
        idx.upsert(load_profiles(SAMPLE_PROFILES).profiles)
        yield idx


@pytest.mark.parametrize("text", QUESTIONS["out_of_org"])
def test_out_of_organisation_questions_get_a_connector(sample: ExpertIndex, text: str) -> None:
    result = match_question(sample, LearningQuestion(text=text), k=3)
    assert result.nobody_fits, [m.profile.title for m in result.matches]
    assert result.connector is not None and result.connector.ask.startswith("Who could teach me")


@pytest.mark.parametrize("text", QUESTIONS["in_org"])
def test_in_organisation_questions_are_not_given_up(sample: ExpertIndex, text: str) -> None:
    result = match_question(sample, LearningQuestion(text=text), k=3)
    assert not result.nobody_fits and result.connector is None


def test_both_rates_on_the_sample_organisation(sample: ExpertIndex) -> None:
    def nobody(text: str) -> bool:
        return match_question(sample, LearningQuestion(text=text), k=3).nobody_fits

    out_rate = sum(map(nobody, QUESTIONS["out_of_org"])) / len(QUESTIONS["out_of_org"])
    in_rate = sum(not nobody(t) for t in QUESTIONS["in_org"]) / len(QUESTIONS["in_org"])
    assert (out_rate, in_rate) == (1.0, 1.0)


def _says(*words: str) -> Callable[[ExpertProfile], bool]:
    def check(profile: ExpertProfile) -> bool:
        text = " ".join([profile.title, *profile.expertise, profile.bio]).lower()
        return any(word in text for word in words)

    return check


def _in_department(name: str) -> Callable[[ExpertProfile], bool]:
    return lambda profile: profile.department == name


@dataclass(frozen=True)
class Case:
    """A question, what the first match must be, and what none of the top three may be."""

    question: str
    first: Callable[[ExpertProfile], bool]
    never: Callable[[ExpertProfile], bool] = lambda profile: False


CASES = {
    # "production" is not "product"
    "product management, not production": Case(
        "Which book, course or internal resource on product management would you recommend to a beginner?",
        first=_in_department("Product"),
        never=_in_department("Production"),
    ),
    "production, not product": Case(
        "How are print production schedules planned?",
        first=_in_department("Production"),
        never=_in_department("Product"),
    ),
    # managing people, not a "... Manager" title
    "first-time management": Case(
        "I'm new to management. What helped you most as a first-time manager?",
        first=_says("first-time manag", "new managers", "becoming a manager", "became a manager"),
    ),
    "managing people for the first time": Case(
        "What is it like to manage people for the first time?",
        first=_says("first-time manag", "new managers", "becoming a manager", "became a manager"),
    ),
    # trust with a team is not trust and safety
    "trust with a team": Case(
        "What helped you build trust with a new team fastest?",
        first=_says("team building", "team health", "team leadership", "managing people"),
        never=_says("trust and safety"),
    ),
    "trust and safety itself": Case(
        "How does trust and safety deal with spam books and fake reviews?",
        first=_says("trust and safety", "content moderation"),
    ),
    # "experiment" is not "experience"
    "experiments": Case(
        "How should I set up an A/B experiment on the reading app?",
        first=_says("experiment", "a/b test"),
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_the_right_people_come_first(sample: ExpertIndex, case: Case) -> None:
    matches = sample.search(case.question, k=3)
    assert case.first(matches[0].profile), [m.profile.title for m in matches]
    assert not any(case.never(m.profile) for m in matches), [m.profile.title for m in matches]


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_evidence_is_a_phrase_not_a_name_and_a_verb(sample: ExpertIndex, case: Case) -> None:
    for match in sample.search(case.question, k=5):
        name_parts = {part.lower() for part in match.profile.name.split()}
        for evidence in match.evidence:
            for phrase in evidence.phrases:
                words = phrase.lower().split()
                assert not name_parts & set(words), (evidence.field, phrase)
                if evidence.field == "bio":
                    assert len(words) >= 2, phrase


EVIDENCE_CASES = [
    # (question, profile id, a phrase the evidence must not be) from the issue: a name plus a verb
    ("How should I design a programme for new managers?", "nw-0148", "Ewan designed"),
    ("How do tech startups look at partnerships?", "nw-0013", "Esther looks"),
    ("Who looks after the brand?", "nw-0067", "Gabriel looks"),
]


@pytest.mark.parametrize(("question", "pid", "bad"), EVIDENCE_CASES, ids=[c[2] for c in EVIDENCE_CASES])
def test_evidence_never_quotes_a_name_and_a_verb(
    sample: ExpertIndex, question: str, pid: str, bad: str
) -> None:
    profile = sample.get(pid)
    assert profile is not None
    evidence = sample.explain(question, profile)
    phrases = [phrase for ev in evidence for phrase in ev.phrases]
    assert phrases, "the profile does match the question"
    assert all(bad.split()[0] not in phrase for phrase in phrases), phrases
    for ev in evidence:
        if ev.field == "bio":
            assert all(len(phrase.split()) >= 2 and phrase in profile.bio for phrase in ev.phrases)


@pytest.mark.parametrize(
    ("subject", "question", "fits"),
    [
        # Frame words ("costs", "revenue", "teams") match someone, but nobody here knows the subject.
        ("quantum computing for drug discovery", "How much of the company's costs are tied to quantum computing for drug discovery?", False),
        ("salmon farming", "Which other teams does salmon farming depend on most?", False),
        # A subject the organisation knows keeps the person the question's words found.
        ("traditional publishing", "Which financial metrics does the traditional publishing division watch most closely?", True),
        ("giving feedback", "How do you give feedback that lands with a new team?", True),
    ],
)  # fmt: skip
def test_a_subject_nobody_here_knows_gets_a_connector_whatever_the_frame_words(
    sample: ExpertIndex, subject: str, question: str, fits: bool
) -> None:
    result = match_question(sample, LearningQuestion(text=question, topic=subject), k=3)
    assert result.nobody_fits is not fits, [m.profile.title for m in result.matches]
    assert (result.connector is None) is fits
