"""The UI's pure rendering: link allowlist, escaping in cards and chat text, reports, timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from coach.models import (
    Clarification,
    Connector,
    LearningQuestion,
    QuestionMatches,
    TimelineEvent,
    TimelineKind,
)
from coach.web.cards import (
    availability_badge,
    expert_card,
    expert_choices,
    header_html,
    notice_html,
    people_html,
    timeline_html,
)
from coach.web.escaping import host_allowed, restrict_links, toast_text
from coach.web.render import clarification_reply, fallback_text, people_lines, questions_reply
from vectorstore.models import Availability, ExpertMatch, ExpertProfile, FieldEvidence

ALLOW = ("example.com",)
HOSTILE_NAME = '<script>alert(1)</script><img src=x onerror="alert(2)"> ![t](https://evil.example/t.png)'


def profile(**fields: object) -> ExpertProfile:
    values: dict[str, object] = {
        "id": "p1",
        "name": "Sam Lee",
        "title": "FP&A Partner",
        "department": "Finance",
    }
    values.update(fields)
    return ExpertProfile(**values)  # type: ignore[arg-type]


def match(p: ExpertProfile, *phrases: str) -> ExpertMatch:
    return ExpertMatch(
        profile=p, score=1.0, evidence=[FieldEvidence(field="expertise", phrases=list(phrases))]
    )


@dataclass(frozen=True)
class LinkCase:
    text: str
    expected: str


LINK_CASES = [
    LinkCase("![x](https://evil.example/a.png)", "[image: x]"),
    LinkCase("![](https://evil.example/a.png)", ""),
    LinkCase("![x](https://example.com/a.png)", "![x](https://example.com/a.png)"),
    LinkCase("![x](https://cdn.example.com/a.png)", "![x](https://cdn.example.com/a.png)"),
    LinkCase('![x](<https://evil.example/a b.png> "t")', "[image: x]"),
    LinkCase("[click](https://evil.example/p)", "click"),
    LinkCase("[click](https://example.com/p)", "[click](https://example.com/p)"),
    LinkCase("[run](javascript:alert(1))", "run)"),  # the `)` inside the URL ends the match; inert either way
    LinkCase("[x](//evil.example/p)", "x"),
    LinkCase("see [ref]\n\n[ref]: https://evil.example/p", "see [ref]\n\n"),
    LinkCase("[ref]: https://example.com/p", "[ref]: https://example.com/p"),
    LinkCase("<https://evil.example/p>", "https\\://evil.example/p"),
    LinkCase("go to https://evil.example/p now", "go to https\\://evil.example/p now"),
    LinkCase("go to www.evil.example now", "go to www\\.evil.example now"),
    LinkCase("go to https://example.com/p now", "go to https://example.com/p now"),
    LinkCase("https://example.com.evil.io/x", "https\\://example.com.evil.io/x"),
    LinkCase("https://notexample.com/x", "https\\://notexample.com/x"),
    # Glued to a word: the renderer still links a URL that starts mid-word, so the rule must too.
    LinkCase("Seehttps://evil.example/x", "Seehttps\\://evil.example/x"),
    LinkCase("awww.evil.example", "awww\\.evil.example"),
    LinkCase("x:https://evil.example", "x:https\\://evil.example"),
    LinkCase("(https://evil.example)", "(https\\://evil.example)"),
    LinkCase("Seehttps://example.com/x", "Seehttps://example.com/x"),
    LinkCase("write to mallory@evil.example", "write to mallory\\@evil.example"),
    LinkCase("write to sam@example.com", "write to sam@example.com"),
    LinkCase("plain text, no links", "plain text, no links"),
]


@pytest.mark.parametrize("case", LINK_CASES, ids=lambda c: c.text[:40])
def test_restrict_links_keeps_only_allowlisted_hosts(case: LinkCase) -> None:
    assert restrict_links(case.text, ALLOW) == case.expected


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://example.com", True),
        ("http://EXAMPLE.com./x", True),
        ("https://a.b.example.com/x", True),
        ("https://example.com@evil.example/x", False),
        ("ftp://example.com/x", False),
        ("javascript:alert(1)", False),
        ("www.example.com/x", True),
        ("/relative/path", False),
        ("", False),
    ],
)
def test_host_allowed(url: str, allowed: bool) -> None:
    assert host_allowed(url, ALLOW) is allowed


def test_empty_allowlist_blocks_every_image() -> None:
    assert restrict_links("![a](https://example.com/a.png)", ()) == "[image: a]"


@pytest.mark.parametrize(
    "field",
    ["name", "title", "department", "location"],
)
def test_expert_card_escapes_every_profile_field(field: str) -> None:
    card = expert_card(match(profile(**{field: HOSTILE_NAME}), "<b>budgets</b>"))
    assert "<script" not in card and "<img" not in card and "<b>budgets" not in card
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in card
    assert "&lt;b&gt;budgets&lt;/b&gt;" in card


def test_expert_card_escapes_attribute_values() -> None:
    card = expert_card(match(profile(id='x" onmouseover="alert(1)'), "budgets"))
    assert 'data-expert-id="x&quot; onmouseover=&quot;alert(1)"' in card


@pytest.mark.parametrize(
    ("availability", "css", "label"),
    [
        (Availability.open, "qc-open", "Open to chats"),
        (Availability.limited, "qc-limited", "Limited availability"),
        (Availability.unavailable, "qc-unavailable", "Unavailable"),
    ],
)
def test_availability_badge(availability: Availability, css: str, label: str) -> None:
    badge = availability_badge(availability)
    assert css in badge and label in badge


def test_people_html_groups_cards_by_question_and_shows_the_connector() -> None:
    question = LearningQuestion(text="How do royalties <really> work?")
    hub = profile(id="c1", name="Priya <Chief>", title="Chief of Staff")
    groups = [
        QuestionMatches(
            question=LearningQuestion(text="Which metrics matter?"), matches=[match(profile(), "metrics")]
        ),
        QuestionMatches(
            question=question,
            matches=[match(profile(id="p2", name="Weak Fit"))],
            nobody_fits=True,
            connector=Connector(
                profile=hub, ask="Who could teach me how royalties work?", reason="knows who owns what"
            ),
        ),
    ]
    html = people_html(groups)
    assert html.count('class="qc-group"') == 2
    assert "How do royalties &lt;really&gt; work?" in html
    assert "Weak Fit" not in html  # nobody fits: only the connector is offered
    assert "qc-connector" in html and "Priya &lt;Chief&gt;" in html
    assert "Ask: “Who could teach me how royalties work?”" in html
    assert expert_choices(groups) == [
        ("Sam Lee — FP&A Partner", "p1"),
        ("Priya <Chief> — Chief of Staff", "c1"),
    ]


def test_people_html_without_questions_explains_what_to_do() -> None:
    assert "Describe what you want to learn" in people_html([])


def test_questions_reply_escapes_profile_markdown() -> None:
    p = profile(name=HOSTILE_NAME, title="[Boss](https://evil.example)")
    questions = [LearningQuestion(text="Which metrics *matter*?", why="so you can read reports")]
    text = "\n".join(
        questions_reply(questions, [QuestionMatches(question=questions[0], matches=[match(p, "x")])])
    )
    assert "![t](" not in text and "](https://evil" not in text
    assert "&lt;script&gt;" in text and "<script" not in text
    assert "1. Which metrics \\*matter\\*?" in text
    assert "for 1: **" in text and "open to coffee chats" in text


def test_questions_reply_groups_question_numbers_per_person() -> None:
    questions = [LearningQuestion(text=f"Question number {n}?") for n in (1, 2, 3)]
    groups = [QuestionMatches(question=q, matches=[match(profile(), "x")]) for q in questions]
    assert any(
        line.startswith("- for 1, 2 and 3: **Sam Lee**") for line in questions_reply(questions, groups)
    )


def test_clarification_reply_escapes_the_question() -> None:
    lines = clarification_reply(Clarification(question="What about <b>this</b>?", choices=["a", "b", "c"]))
    assert lines[0] == "What about &lt;b&gt;this&lt;/b&gt;?"


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (None, ""),
        ("", ""),
        (
            "timeout\nafter 30 s",
            "The LLM was unavailable (timeout after 30 s); this answer comes from the offline coach.",
        ),
    ],
)
def test_fallback_text(reason: str | None, expected: str) -> None:
    assert fallback_text(reason) == expected


def test_notice_html_escapes_and_hides_when_empty() -> None:
    assert notice_html("") == ""
    assert "&lt;b&gt;" in notice_html("<b>x</b>")


def test_header_shows_the_mode_label_escaped() -> None:
    html = header_html("LLM: <gpt>", is_llm=True)
    assert "LLM: &lt;gpt&gt;" in html and "qc-llm" in html


def test_timeline_html_is_newest_first_and_escaped() -> None:
    at = datetime(2026, 11, 2, 9, tzinfo=UTC)
    events = [
        TimelineEvent(kind=TimelineKind.wish, at=at, entry_id=1, text="learn <finance>"),
        TimelineEvent(
            kind=TimelineKind.takeaway, at=at.replace(day=3), entry_id=1, text="margins", detail="Sam"
        ),
    ]
    html = timeline_html(events)
    assert html.index("margins") < html.index("learn &lt;finance&gt;")
    assert "Learned" in html and "— Sam" in html
    assert "Nothing yet" in timeline_html([])


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "Saved your chat with <img src=//evil.example/p>",
            "Saved your chat with &lt;img src=//evil.example/p&gt;",
        ),
        ("a\n\nb   c", "a b c"),
        ("Tom & Jerry's", "Tom &amp; Jerry's"),
        ("x" * 400, "x" * 299 + "…"),
    ],
)
def test_toast_text_shows_tags_as_text(message: str, expected: str) -> None:
    assert toast_text(message) == expected


@pytest.mark.parametrize(
    ("title", "department", "role"),
    [
        (
            "Freelance and Vendor Manager, Production",
            "Production",
            "Freelance and Vendor Manager, Production",
        ),
        ("Producer", "Production", "Producer · Production"),
        ("Head of hr", "HR", "Head of hr"),
        ("", "Finance", "Finance"),
        ("FP&A Partner", "", "FP&amp;A Partner"),
    ],
)
def test_role_names_the_department_once(title: str, department: str, role: str) -> None:
    person = profile(title=title, department=department)
    assert f'<div class="qc-role">{role}</div>' in expert_card(match(person, "budgets"))
    group = QuestionMatches(
        question=LearningQuestion(text="How are budgets set?"), matches=[match(person, "budgets")]
    )
    line = people_lines([group])[0]
    assert department == "" or line.count(department) == role.count(department), line
