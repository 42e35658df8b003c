"""Offline intro and follow-up messages: grounded, specific, easy to decline, within each channel's limit."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
import yaml

from coach.clauses import fit_question
from coach.errors import CoachInputError, ConfigError
from coach.models import Channel, IntroMessage, Tone
from coach.offline.intro import draft_intro, follow_up_message, intro_markdown
from coach.offline.intro_wording import TEMPLATES_PATH, load_templates
from vectorstore.models import ExpertProfile, FieldEvidence

QUESTIONS = [
    "Which financial metrics does the traditional publishing division watch most closely, and why?",
    "How is a new book's deal judged financially: what makes an advance worth paying?",
]
COMBINATIONS = list(itertools.product(Channel, Tone))
TEMPLATES = load_templates()


def expert(**fields: object) -> ExpertProfile:
    values: dict[str, object] = {
        "id": "p042",
        "name": "Sam Okafor",
        "title": "Finance Partner, FP&A",
        "department": "Traditional Publishing Finance",
        "email": "sam.okafor@example.com",
        "bio": "Sam builds the title P&L models used in acquisition meetings. Call him on +44 20 7946 0958.",
        "expertise": ["title P&L models", "financial metrics and reporting", "advance modelling"],
        "extra": {"phone": "+44 20 7946 0958", "slack": "@sam.okafor"},
    }
    return ExpertProfile.model_validate(values | fields)


def draft(channel: Channel, tone: Tone, **kwargs: object) -> IntroMessage:
    options: dict[str, object] = {
        "requester_name": "Alex",
        "requester_context": "from the self-publishing team",
    }
    return draft_intro(expert(), QUESTIONS, channel=channel, tone=tone, **(options | kwargs))  # type: ignore[arg-type]


def full_text(message: IntroMessage) -> str:
    return f"{message.subject}\n{message.text}"


@pytest.mark.parametrize(("channel", "tone"), COMBINATIONS)
def test_every_combination_is_grounded_specific_and_easy_to_decline(channel: Channel, tone: Tone) -> None:
    message = draft(channel, tone)
    words = TEMPLATES.wording(channel, tone)

    assert (message.expert_id, message.channel, message.tone) == ("p042", channel, tone)
    assert "Sam" in message.text and "Okafor" not in message.text
    # Quoted whole, or (when no whole clause fits a short note) named by its topic, never cut mid-sentence.
    assert "Which financial metrics" in message.text or " on financial metrics" in message.text
    assert "…" not in message.text
    assert words.easy_out in message.text
    assert "20 minutes" in message.text
    assert len(message.text) <= TEMPLATES.channels[channel].max_chars
    assert not re.search(r"[{}\x00]|  |\s[.,]", message.text)


@pytest.mark.parametrize(("channel", "tone"), COMBINATIONS)
def test_no_contact_detail_of_the_expert_appears(channel: Channel, tone: Tone) -> None:
    profile = expert(expertise=["ask me at sam@example.com", "call 020 7946 0958", "https://sam.example"])
    evidence = [FieldEvidence(field="bio", phrases=["+44 20 7946 0958", "sam.okafor@example.com"])]
    message = draft_intro(profile, QUESTIONS, channel=channel, tone=tone, evidence=evidence)

    for detail in ["@", "example.com", "7946", "0958", "http", "+44"]:
        assert detail not in full_text(message)


@pytest.mark.parametrize("tone", list(Tone))
def test_email_has_a_short_specific_subject(tone: Tone) -> None:
    subject = draft(Channel.email, tone).subject

    assert 0 < len(subject) < 80
    assert "financial metrics" in subject
    assert "20" in subject


@pytest.mark.parametrize("tone", list(Tone))
def test_only_email_has_a_subject_and_slack_is_shorter(tone: Tone) -> None:
    email, slack, linkedin = (draft(channel, tone) for channel in Channel)

    assert slack.subject == "" and linkedin.subject == ""
    assert len(slack.text) < len(email.text)
    assert len(linkedin.text) <= 300


def test_tones_differ_visibly() -> None:
    for channel in Channel:
        texts = [draft(channel, tone).text for tone in Tone]
        greetings = {text.split("Sam")[0] for text in texts}
        assert len(set(texts)) == 3
        assert len(greetings) >= 2
    sign_offs = {draft(Channel.email, tone).text.split("\n\n")[-1] for tone in Tone}
    assert len(sign_offs) == 3


@pytest.mark.parametrize(("channel", "tone"), COMBINATIONS)
def test_evidence_phrase_is_used_when_given(channel: Channel, tone: Tone) -> None:
    evidence = [
        FieldEvidence(field="bio", phrases=["acquisition meetings"], snippet="..."),
        FieldEvidence(field="expertise", phrases=["advance modelling"]),
    ]

    text = draft(channel, tone, evidence=evidence).text
    assert "advance modelling" in text
    assert "acquisition meetings" not in text, "bio fragments do not read well after 'your work on'"


@pytest.mark.parametrize("phrase", ["Nobel prize economics", "metric", "P&L mod"])
def test_evidence_the_profile_does_not_contain_is_never_used(phrase: str) -> None:
    evidence = [FieldEvidence(field="bio", phrases=[phrase])]

    message = draft(Channel.email, Tone.warm, evidence=evidence)

    assert f"Your work on {phrase} " not in message.text
    assert "financial metrics and reporting" in message.text


@pytest.mark.parametrize(
    ("questions", "expected"),
    [
        (["How are advances modelled for debut authors?"], "advance modelling"),
        (["Which financial metrics matter most?"], "financial metrics and reporting"),
        (["What does a finance partner do all day?"], "Finance Partner, FP&A"),
        (["Where do cover designs come from?"], "Finance Partner, FP&A"),
    ],
)
def test_without_evidence_the_most_related_profile_item_is_cited(questions: list[str], expected: str) -> None:
    assert expected in draft_intro(expert(), questions).text


@pytest.mark.parametrize("name", ["sam@example.com", "+44 20 7946 0958 Sam"])
def test_a_name_holding_contact_details_is_not_used_as_a_greeting(name: str) -> None:
    message = draft_intro(expert(name=name), QUESTIONS[:1])

    assert message.text.startswith("Hi there,")
    assert "example.com" not in message.text and "7946" not in message.text


@pytest.mark.parametrize("minutes", [0, 45, 90])
def test_only_small_time_asks_are_drafted(minutes: int) -> None:
    with pytest.raises(CoachInputError, match="15, 20, 30"):
        draft_intro(expert(), QUESTIONS[:1], minutes=minutes)


@pytest.mark.parametrize("minutes", [15, 30])
def test_the_time_asked_for_follows_the_chat_length(minutes: int) -> None:
    message = draft_intro(expert(), QUESTIONS[:1], minutes=minutes)

    assert f"{minutes} minutes" in message.text
    assert message.subject.startswith(f"{minutes} minutes on")


def test_a_profile_with_nothing_to_cite_gets_a_generic_reason() -> None:
    bare = expert(title="", expertise=[], bio="")

    message = draft_intro(bare, QUESTIONS[:1])

    assert TEMPLATES.tones[Tone.warm].full.why_generic in message.text


@pytest.mark.parametrize(
    ("name", "first"),
    [
        ("Sam Okafor", "Sam"),
        ("Dr. Zoë Nakamura-O'Brien", "Zoë"),
        ("Priya", "Priya"),
        ("Li, Wei", "Li"),
        ("D'Arcy Smith", "D'Arcy"),
        ("Jean-Luc Picard", "Jean-Luc"),
        ("<img src=x onerror=alert(1)>", "there"),
    ],
)
def test_first_name_comes_from_the_profile_name(name: str, first: str) -> None:
    assert draft_intro(expert(name=name), QUESTIONS[:1]).text.startswith(f"Hi {first},")


@pytest.mark.parametrize(
    ("name", "context", "expected", "absent"),
    [
        ("", "", "Hi Sam,\n\nI'm trying", None),
        ("Alex", "", "I'm Alex.", "I'm Alex,"),
        ("", "a product manager in self-publishing", "I'm a product manager in self-publishing.", None),
        ("Alex", "a product manager in self-publishing", "I'm Alex, a product manager", None),
    ],
)
def test_requester_details_are_omitted_gracefully(
    name: str, context: str, expected: str | None, absent: str | None
) -> None:
    message = draft_intro(expert(), QUESTIONS, requester_name=name, requester_context=context)

    if expected:
        assert expected in message.text
    if absent:
        assert absent not in message.text
    assert message.text.endswith(f"Thanks so much,\n{name}" if name else "Thanks so much,")


@pytest.mark.parametrize("tone", list(Tone))
def test_linkedin_fits_300_characters_whatever_the_input(tone: Tone) -> None:
    profile = expert(name="Bartholomew-Maximilian " * 8, title="Senior Principal " * 12)
    long_question = "How " + "exactly " * 60 + "does it work?"
    message = draft_intro(
        profile,
        [long_question, long_question],
        channel=Channel.linkedin,
        tone=tone,
        requester_name="Alexandra " * 10,
        requester_context="from " + "the very long team name " * 10,
        evidence=[FieldEvidence(field="title", phrases=["Senior Principal"])],
    )

    assert len(message.text) <= 300
    assert TEMPLATES.wording(Channel.linkedin, tone).easy_out in message.text
    assert "How exactly" in message.text


def test_long_questions_are_shortened_at_a_clause_never_mid_sentence() -> None:
    question = "Which financial metrics does the traditional publishing division watch most closely, and why?"
    slack = draft(Channel.slack, Tone.warm)
    shortened = draft_intro(expert(), [question], channel=Channel.slack, requester_name="Alexandra " * 6)
    linkedin = draft(Channel.linkedin, Tone.warm)

    assert re.findall(r"“([^”]*)”", slack.text) == [question]
    assert (
        fit_question(question, 90)
        == "Which financial metrics does the traditional publishing division watch most closely?"
    )
    assert all(q in (question, fit_question(question, 90)) for q in re.findall(r"“([^”]*)”", shortened.text))
    assert "“" not in linkedin.text and "your take on financial metrics." in linkedin.text
    assert "…" not in slack.text + shortened.text + linkedin.text


@pytest.mark.parametrize(("channel", "tone"), COMBINATIONS)
def test_follow_up_names_the_takeaway_and_the_referral(channel: Channel, tone: Tone) -> None:
    message = follow_up_message(expert(), "returns show up as a reserve", "Priya", channel, tone)

    assert "Priya" in message.text
    assert "returns show up as a reserve" in message.text
    assert message.text.startswith(TEMPLATES.wording(channel, tone).greeting.format(first_name="Sam"))
    assert (message.subject != "") is (channel is Channel.email)
    assert len(message.text) <= TEMPLATES.channels[channel].max_chars


@pytest.mark.parametrize("channel", list(Channel))
def test_follow_up_without_referral_and_with_a_long_takeaway(channel: Channel) -> None:
    message = follow_up_message(expert(), "returns matter " * 80, None, channel, Tone.formal)

    assert TEMPLATES.wording(channel, Tone.formal).no_referral in message.text
    assert len(message.text) <= TEMPLATES.channels[channel].max_chars
    assert "returns matter" in message.text
    assert "…." not in message.text


def test_intro_markdown_is_inert() -> None:
    message = draft_intro(
        expert(name="<img src=x onerror=alert(1)> Sam"), ["What is ![x](http://e.x/a.png)?"]
    )

    markdown = intro_markdown(message)

    assert markdown.startswith("**Subject:**")
    assert "<" not in markdown and "![" not in markdown and "](" not in markdown


def write_templates(tmp_path: Path, edit: object) -> Path:
    raw = yaml.safe_load(TEMPLATES_PATH.read_text(encoding="utf-8"))
    edit(raw)  # type: ignore[operator]
    path = tmp_path / "intro_templates.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "complaint"),
    [
        (lambda raw: raw["tones"]["warm"]["full"].pop("easy_out"), "easy_out"),
        (lambda raw: raw["tones"]["warm"]["brief"].update(farewell="Bye"), "farewell"),
        (lambda raw: raw["tones"]["formal"]["full"].update(greeting="Dear {name},"), "greeting"),
        (lambda raw: raw["tones"]["concise"].update(subject="{minutes} min"), "subject"),
        (lambda raw: raw["channels"].pop("slack"), "slack"),
        (lambda raw: raw["channels"]["email"].update(max_chars="lots"), "max_chars"),
    ],
)
def test_template_file_mistakes_fail_loudly(tmp_path: Path, edit: object, complaint: str) -> None:
    path = write_templates(tmp_path, edit)

    with pytest.raises(ConfigError, match=complaint):
        load_templates(path)


def test_missing_template_file_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.yaml"):
        load_templates(tmp_path / "nowhere.yaml")


def test_the_shipped_templates_render_for_every_tone_and_wording() -> None:
    for tone, wording in TEMPLATES.tones.items():
        assert wording.full != wording.brief, tone
    assert load_templates() is TEMPLATES
