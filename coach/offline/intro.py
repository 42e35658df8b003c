"""Offline intro and follow-up messages, worded from prompts/intro_templates.yaml and fitted per channel."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from coach.agenda import TIMINGS, escape_markdown, first_name_of, shorten, single_line
from coach.clauses import fit_phrase, fit_question, topic_of
from coach.errors import CoachInputError
from coach.models import Channel, IntroMessage, Tone
from coach.offline.grounding import grounding
from coach.offline.intro_wording import (
    ChannelStyle,
    IntroTemplates,
    ToneWording,
    Wording,
    load_templates,
)
from vectorstore.models import ExpertProfile, FieldEvidence

SUBJECT_CHARS = 79
# Caps on free text keep every channel inside its limit whatever the inputs are.
_CAPS = {"requester_name": 60, "requester_context": 120, "referral": 60}
_NAME = re.compile(r"[^\W\d_](?:[^\W\d_]|['’.-])*")
_PREPOSITIONS = frozenset({"from", "in", "on", "at", "with", "of"})
# Slots filled after the rest of the message is laid out, so the free text gets the space that is left.
_ASK, _TAKEAWAY = "\x00ask\x00", "\x00takeaway\x00"


@dataclass(frozen=True)
class _Level:
    """How much to keep when a message has to shrink to fit its channel."""

    questions: int
    intro: Literal["full", "name", "none"]
    why: bool
    min_question_chars: int


# Cut the second question first, then who I am (a chat profile shows it), then why them; never the easy out.
# The question may shrink to 40 characters before the grounding goes, since the grounding justifies the ask.
_LADDER = (
    _Level(questions=2, intro="full", why=True, min_question_chars=60),
    _Level(questions=1, intro="full", why=True, min_question_chars=60),
    _Level(questions=1, intro="name", why=True, min_question_chars=60),
    _Level(questions=1, intro="name", why=True, min_question_chars=40),
    _Level(questions=1, intro="none", why=True, min_question_chars=40),
    _Level(questions=1, intro="none", why=False, min_question_chars=1),
)


def draft_intro(
    expert: ExpertProfile,
    questions: Sequence[str],
    *,
    channel: Channel = Channel.email,
    tone: Tone = Tone.warm,
    requester_name: str = "",
    requester_context: str = "",
    evidence: Sequence[FieldEvidence] = (),
    minutes: int = 20,
    topic: str = "",
    templates: IntroTemplates | None = None,
) -> IntroMessage:
    """A short, specific, easy-to-decline ask for one expert, grounded only in their profile.

    Questions are quoted whole or shortened at a clause or phrase boundary, never cut mid-sentence; when
    even that does not fit, the message names the question's topic instead of quoting it."""
    cleaned = [single_line(q) for q in questions if single_line(q)]
    if not cleaned:
        raise CoachInputError("An intro needs at least one question: say what you want to ask.")
    if minutes not in TIMINGS:
        lengths = ", ".join(str(m) for m in sorted(TIMINGS))
        raise CoachInputError(f"Ask for {lengths} minutes, not {minutes}: small asks get a yes.")
    templates = templates or load_templates()
    style, words = templates.channels[channel], templates.wording(channel, tone)
    name = shorten(requester_name, _CAPS["requester_name"])
    context = shorten(requester_context, _CAPS["requester_context"]).rstrip(".")
    why = _why(words, expert, cleaned, evidence)
    first_name = _first_name(expert)
    topic = single_line(topic) or topic_of(cleaned[0])
    subject = _subject(templates.tones[tone], minutes, topic) if style.subject else ""
    specific = topic_of(cleaned[0]) or topic  # "financial metrics" says more than "traditional publishing"

    def message(text: str) -> IntroMessage:
        return IntroMessage(expert_id=expert.id, channel=channel, tone=tone, subject=subject, text=text)

    # Whole questions first (dropping who I am before why them); then, keeping why them, the question's topic;
    # then without why them; a word-boundary cut only when nothing whole fits at all.
    with_why = [level for level in _LADDER if level.why]
    without_why = [level for level in _LADDER if not level.why]
    for levels, quote in ((with_why, True), (with_why, False), (without_why, True), (without_why, False)):
        for level in levels:
            frame = _frame(style, words, first_name, name, context, why, minutes, level)
            text = (
                _quote(frame, words, style, cleaned, level)
                if quote
                else _name_topic(frame, words, style, specific)
            )
            if text:
                return message(text)
    frame = _frame(style, words, first_name, name, context, why, minutes, _LADDER[-1])
    room = style.max_chars - (len(frame) - len(_ASK)) - len(words.ask_one.format(q1=""))
    if room >= 20:
        return message(frame.replace(_ASK, words.ask_one.format(q1=_cut(cleaned[0], room))))
    raise CoachInputError(f"The {channel.value} message cannot fit {style.max_chars} characters.")


def _quote(frame: str, words: Wording, style: ChannelStyle, questions: list[str], level: _Level) -> str:
    """The message with one or two questions quoted whole (or shortened at a clause), or "" if they don't fit."""
    count = min(level.questions, style.max_questions, len(questions))
    ask = words.ask_one if count == 1 else words.ask_two
    spare = style.max_chars - (len(frame) - len(_ASK)) - len(ask.format(q1="", q2=""))
    per_question = min(style.question_chars, spare // count)
    if per_question < level.min_question_chars:
        return ""
    quoted = [fit_question(q, per_question) for q in questions[:count]]
    if not all(quoted):
        return ""
    q1, q2 = [*quoted, ""][:2]
    return frame.replace(_ASK, ask.format(q1=q1, q2=q2))


def _name_topic(frame: str, words: Wording, style: ChannelStyle, topic: str) -> str:
    """The message naming the question's topic instead of quoting it, or "" if there is none that fits."""
    room = style.max_chars - (len(frame) - len(_ASK)) - len(words.ask_topic.format(topic=""))
    about = fit_phrase(topic, room) if topic else ""
    return frame.replace(_ASK, words.ask_topic.format(topic=about)) if about else ""


def _cut(question: str, limit: int) -> str:
    """The last resort for a question with no clause or phrase that fits: cut at a word, marked with "…"."""
    mark = "?" if question.endswith("?") else ""
    return shorten(question.rstrip("?"), limit - len(mark)) + mark


def _frame(
    style: ChannelStyle,
    words: Wording,
    first_name: str,
    name: str,
    context: str,
    why: str,
    minutes: int,
    level: _Level,
) -> str:
    paragraphs = [
        " ".join(filter(None, [_intro(words, name, context, level.intro), _ASK])),
        why if level.why else "",
        f"{words.time_ask.format(minutes=minutes)} {words.easy_out}",
    ]
    return _layout(style, words, first_name, paragraphs, name)


def follow_up_message(
    expert: ExpertProfile,
    takeaway: str,
    referral_name: str | None,
    channel: Channel = Channel.email,
    tone: Tone = Tone.warm,
    *,
    requester_name: str = "",
    templates: IntroTemplates | None = None,
) -> IntroMessage:
    """A thank-you after a chat that names the takeaway and promises to follow the referral."""
    templates = templates or load_templates()
    style, words = templates.channels[channel], templates.wording(channel, tone)
    name = shorten(requester_name, _CAPS["requester_name"])
    referral = shorten(referral_name or "", _CAPS["referral"])
    closing = words.referral.format(referral_name=referral) if referral else words.no_referral
    frame = _layout(style, words, _first_name(expert), [f"{words.thanks}{_TAKEAWAY}", closing], name)
    budget = style.max_chars - (len(frame) - len(_TAKEAWAY)) - len(words.takeaway.format(takeaway="")) - 1
    note = single_line(takeaway).rstrip(" .!")
    fits = note and budget >= 20
    sentence = " " + words.takeaway.format(takeaway=shorten(note, min(budget, 280))) if fits else ""
    # A cut takeaway ends in "…"; the template's full stop after it would read as a typo.
    text = frame.replace(_TAKEAWAY, sentence.replace("….", "…"))
    subject = templates.tones[tone].follow_up_subject if style.subject else ""
    return IntroMessage(expert_id=expert.id, channel=channel, tone=tone, subject=subject, text=text)


def intro_markdown(message: IntroMessage) -> str:
    """The message escaped for display in a Markdown component, keeping its paragraphs and line breaks."""
    paragraphs = [
        "  \n".join(escape_markdown(line) for line in p.split("\n")) for p in message.text.split("\n\n")
    ]
    body = "\n\n".join(paragraphs)
    return f"**Subject:** {escape_markdown(message.subject)}\n\n{body}" if message.subject else body


def _layout(style: ChannelStyle, words: Wording, first_name: str, paragraphs: list[str], name: str) -> str:
    greeting = words.greeting.format(first_name=first_name)
    body = [p for p in paragraphs if p]
    if style.sign_off and words.sign_off:
        body.append(f"{words.sign_off}\n{name}" if style.sign_with_name and name else words.sign_off)
    return greeting + style.greeting_joiner + style.paragraph_joiner.join(body)


def _intro(words: Wording, name: str, context: str, mode: str) -> str:
    if mode == "none" or not (name or context):
        return ""
    if not name:
        return words.intro_context_only.format(context=context) if mode == "full" else ""
    if mode == "name" or not context:
        return words.intro_named.format(who=name)
    joiner = " " if context.split(" ")[0].lower() in _PREPOSITIONS else ", "
    return words.intro_named.format(who=f"{name}{joiner}{context}")


def _subject(wording: ToneWording, minutes: int, topic: str) -> str:
    """ "20 minutes on data engineering?": the topic whole, or a shorter whole phrase of it, or no topic."""
    room = SUBJECT_CHARS - len(wording.subject.format(minutes=minutes, topic=""))
    fitted = fit_phrase(topic, room) if topic else ""
    if fitted:
        return wording.subject.format(minutes=minutes, topic=fitted)
    return wording.subject_no_topic.format(minutes=minutes)


def _why(
    words: Wording, expert: ExpertProfile, questions: list[str], evidence: Sequence[FieldEvidence]
) -> str:
    """Why this person, from evidence phrases or the profile item nearest the questions; never invented."""
    kind, phrase = grounding(expert, questions, evidence)
    if kind == "work":
        return words.why_them.format(grounding=phrase)
    if kind == "role":
        return words.why_role.format(title=phrase)
    return words.why_generic


def _first_name(expert: ExpertProfile) -> str:
    # A name field holding an address, a number or markup must not leak into the greeting.
    first = first_name_of(expert.name)
    return first if _NAME.fullmatch(first) else "there"
