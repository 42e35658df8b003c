"""Every case of the hostile-input corpus, through each door of coach.web.escaping, stays text.

Rendered with a CommonMark renderer that passes raw HTML through, so anything the escaping misses
would come out as a tag, a link or an image. (The real renderer, in the browser, is covered by
tests/test_ui_browser_hostile.py.)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt

from coach.models import LearningQuestion, QuestionMatches
from coach.web.cards import expert_card, people_html
from coach.web.escaping import html_text, markdown_text, toast_text
from coach.web.render import people_lines
from vectorstore.models import ExpertMatch, ExpertProfile, FieldEvidence

CORPUS = Path(__file__).resolve().parent / "data" / "injection.yaml"
ACTIVE = re.compile(
    r"<\s*(a|img|script|svg|iframe|object|embed|style|link|meta|form|input|video|audio|math)\b", re.I
)
RENDER = MarkdownIt("commonmark", {"html": True})


def cases() -> list[dict[str, Any]]:
    loaded = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    for case in loaded:
        text = case.get("text", "")
        if "repeat" in case:  # a generator spec: prefix + text * repeat + suffix
            text = case.get("prefix", "") + text * int(case["repeat"]) + case.get("suffix", "")
        case["full"] = text
    return loaded


CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_corpus_case_renders_as_text(case: dict[str, Any]) -> None:
    text = case["full"][:5000]
    as_markdown = RENDER.render(markdown_text(text))
    as_html = html_text(text)
    as_toast = toast_text(text)
    for shown in (as_markdown, as_html, as_toast):
        assert not ACTIVE.search(shown), shown[:300]
    assert 'href="' not in as_markdown


def test_corpus_cases_as_profile_fields_render_as_text() -> None:
    """Each case planted in a profile's name, title and expertise, through the cards and the chat lines."""
    for case in CASES:
        text = case["full"][:190] or "x"
        profile = ExpertProfile(id="zz", name=text, title=text, department=text, expertise=[text])
        match = ExpertMatch(
            profile=profile, score=1.0, evidence=[FieldEvidence(field="expertise", phrases=[text])]
        )
        group = QuestionMatches(question=LearningQuestion(text="How do budgets get set?"), matches=[match])
        for shown in (expert_card(match), people_html([group])):
            tags = re.findall(r"<\s*(\w+)", shown)  # only the card's own markup
            assert set(tags) <= {"article", "div", "span", "ul", "li", "b", "section", "h3"}, case["id"]
            attributes = re.findall(r"\s([\w-]+)=\"", shown)
            assert set(attributes) <= {"class", "data-expert-id"}, case["id"]
        rendered = RENDER.render("\n".join(people_lines([group])))
        assert not ACTIVE.search(rendered), (case["id"], rendered[:300])
