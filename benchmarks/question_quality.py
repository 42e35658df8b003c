"""Question-quality check: runs wishes through the offline coach as a person would and counts seams per rule.

For each wish: answer the clarifying questions (the wish's own `answer` first, then the first choice, as a
click would), then check the questions, the agenda for the top match of question 1, and the intro drafted
for that person (email subject and body, LinkedIn note) with `coach.offline.seams`. Prints one JSON object:
counts per rule, how much was checked, and every seam found.

Run: .venv/bin/python benchmarks/question_quality.py [tests/data/wishes.yaml ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coach.config import load_settings
from coach.models import Channel
from coach.offline.seams import RULES, Seam, SeamChecker, content_words
from coach.offline.steps import default_coach
from coach.runtime import build_service, open_index
from coach.service import CoachService

DEFAULT_WISHES = Path(__file__).resolve().parent.parent / "tests" / "data" / "wishes.yaml"
LINKEDIN_LIMIT = 300


@dataclass(frozen=True)
class WishCase:
    wish: str
    kind: str
    answer: str | None = None


@dataclass(frozen=True)
class Failure:
    wish: str
    where: str
    rule: str
    text: str
    detail: str


@dataclass
class QualityReport:
    """Counts per rule (every rule listed, zeros included) and what was checked."""

    files: list[str]
    wishes: int = 0
    questions: int = 0
    texts: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, wish: str, where: str, seams: Sequence[Seam]) -> None:
        self.texts += 1
        for seam in seams:
            self.counts[seam.rule] = self.counts.get(seam.rule, 0) + 1
            self.failures.append(Failure(wish, where, seam.rule, seam.text, seam.detail))

    def as_json(self) -> dict[str, object]:
        return {
            "files": self.files,
            "wishes": self.wishes,
            "questions": self.questions,
            "texts_checked": self.texts,
            "seams_total": self.total,
            "counts": self.counts,
            "by_kind": dict(Counter(f.where.split(":")[0] for f in self.failures)),
            "seconds": round(self.seconds, 1),
            "failures": [asdict(f) for f in self.failures],
        }


def load_wishes(path: Path) -> list[WishCase]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [WishCase(str(item["wish"]), str(item.get("kind", "")), item.get("answer")) for item in raw]


def checker() -> SeamChecker:
    coach = default_coach()
    words = coach.bank.words
    return SeamChecker(words.role_nouns, coach.bank.acronyms, words.vague)


def answers_for(
    service: CoachService, case: WishCase, report: QualityReport, seams: SeamChecker
) -> list[str]:
    """Answer each clarification as a person would: the wish's own answer first, then the first choice."""
    answers: list[str] = []
    step = service.step(case.wish, answers)
    while step.clarification is not None:
        clarification = step.clarification
        report.add(case.wish, "clarification", seams.prose(clarification.question))
        own = case.answer if case.answer and not answers else None
        answers.append(own or clarification.choices[0])
        step = service.step(case.wish, answers)
    return answers


def check_wish(service: CoachService, case: WishCase, report: QualityReport, seams: SeamChecker) -> None:
    answers = answers_for(service, case, report, seams)
    reading = default_coach().read_wish(case.wish, answers)
    subject, thing = reading.domain, reading.kind == "topic"
    report.add(case.wish, "subject", seams.subject(subject))
    flow = service.ask(case.wish, answers)
    texts = [qm.question.text for qm in flow.matches]
    report.wishes += 1
    report.questions += len(texts)
    for text in texts:
        report.add(case.wish, "question", seams.question(text, subject=subject, thing=thing))
    report.add(case.wish, "questions", seams.duplicates(texts, subject))
    if flow.agenda is None or flow.intro is None:
        return
    top = flow.matches[0].matches[0]
    profile = top.profile
    profile_words = content_words(
        " ".join([profile.title, profile.department, *profile.expertise, profile.bio])
    )
    # the wish as the coach read it counts too: a fixed typo ("negociate" -> "negotiate") is the person's word
    read_as = default_coach().lexicon.phrases.normalise(case.wish)
    wish_words = content_words(" ".join([case.wish, read_as, *answers, subject]))
    opener, *rest = flow.agenda.items
    report.add(case.wish, "agenda:opener", seams.opener(opener.detail, wish_words, profile_words))
    for item in rest:
        report.add(case.wish, f"agenda:{item.title}", seams.prose(item.detail))
    email = flow.intro.message
    report.add(case.wish, "intro:subject", seams.subject_line(email.subject))
    report.add(case.wish, "intro:email", seams.prose(email.text))
    linkedin = service.intro(
        profile.id, [flow.matches[0].question.text], channel=Channel.linkedin, evidence=top.evidence
    ).message
    found = seams.prose(linkedin.text)
    if len(linkedin.text) > LINKEDIN_LIMIT:
        found.append(
            Seam("cut_sentence", linkedin.text, f"{len(linkedin.text)} > {LINKEDIN_LIMIT} characters")
        )
    report.add(case.wish, "intro:linkedin", found)


def offline_service() -> Iterator[CoachService]:
    """The offline coach over the bundled sample organisation, indexed in a temporary folder."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp))
        with open_index(settings) as index:
            yield build_service(settings, index)


def run_check(paths: Sequence[Path], service: CoachService | None = None) -> QualityReport:
    """Check every wish in `paths`; builds its own offline service unless one is given."""
    report = QualityReport(files=[str(p) for p in paths])
    cases = [case for path in paths for case in load_wishes(path)]
    started = time.perf_counter()
    seams = checker()
    if service is None:
        for built in offline_service():
            for case in cases:
                check_wish(built, case, report, seams)
    else:
        for case in cases:
            check_wish(service, case, report, seams)
    report.seconds = time.perf_counter() - started
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("wishes", nargs="*", type=Path, default=[DEFAULT_WISHES])
    parser.add_argument("--counts-only", action="store_true", help="leave the list of failures out")
    args = parser.parse_args()
    report = run_check(args.wishes).as_json()
    if args.counts_only:
        report.pop("failures")
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
