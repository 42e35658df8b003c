"""The LLM's intro message: channel limits, the prompt's values, and the checks on what the model wrote."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from coach.agenda import first_name_of, shorten, single_line
from coach.errors import CoachInputError
from coach.llm.fence import bullets, check_no_credentials, check_safe, fenced_text, profile_block
from coach.llm.grounding import NAMES_NO_ONE, NameGuard
from coach.llm.prompts import load_prompt
from coach.llm.replies import IntroReply, InvalidReply
from coach.llm.structured import StructuredChat
from coach.models import Channel, IntroMessage, IntroRequest

MIN_INTRO_BODY = 40  # characters left after grounding for an intro still worth sending
_GREETING = re.compile(r"\A(?:hi|hello|hey|dear)\b[^\n,]{0,60},\s*", re.I)


@dataclass(frozen=True)
class ChannelLimit:
    """How long an intro may be on one channel, and how its greeting joins the body."""

    max_chars: int
    subject_chars: int
    target_words: int
    joiner: str


CHANNEL_LIMITS: dict[Channel, ChannelLimit] = {
    Channel.linkedin: ChannelLimit(max_chars=300, subject_chars=0, target_words=40, joiner=" "),
    Channel.slack: ChannelLimit(max_chars=600, subject_chars=0, target_words=80, joiner="\n"),
    Channel.email: ChannelLimit(max_chars=1200, subject_chars=90, target_words=150, joiner="\n\n"),
}


def draft_intro(chat: StructuredChat, prompts_dir: Path, request: IntroRequest) -> IntroMessage:
    """A short, specific, easy-to-decline ask; the greeting and name come from the profile record."""
    expert, questions, channel, tone = request.expert, request.questions, request.channel, request.tone
    requester_name, requester_context = request.requester_name, request.requester_context
    evidence, minutes = request.evidence, request.minutes
    asked = [shorten(q, 400) for q in questions if q.strip()][:3]
    if not asked:
        raise CoachInputError("An intro needs at least one question: say what you want to ask.")
    if not 5 <= minutes <= 120:
        raise CoachInputError(f"Ask for 5-120 minutes, not {minutes}.")
    limit = CHANNEL_LIMITS[channel]
    greeting = f"Hi {fenced_text(first_name_of(expert.name), 40)},"
    max_body = limit.max_chars - len(greeting) - len(limit.joiner)
    sender = "; ".join(
        part for part in (fenced_text(requester_name, 60), fenced_text(requester_context, 160)) if part
    )
    facts = [expert.title, expert.department, *expert.expertise, expert.bio]
    facts += [p for ev in evidence for p in ev.phrases]
    guard = NameGuard.for_task(
        prompts_dir, people=[expert.name, requester_name], context=[requester_context, *asked], facts=facts
    )

    def check(reply: IntroReply) -> IntroMessage:
        body = guard.clean(_GREETING.sub("", reply.body.strip()).strip(), "the intro")
        subject = single_line(reply.subject) if limit.subject_chars else ""
        if guard.drops(subject, "the subject"):
            raise InvalidReply(f"the subject {NAMES_NO_ONE}")
        if guard.notes and len(body) < MIN_INTRO_BODY:
            raise InvalidReply(f"the body {NAMES_NO_ONE} but the recipient and the sender")
        check_safe(body, "the body")
        check_safe(subject, "the subject")
        check_no_credentials(f"{subject} {body}", "the message")
        if re.search(r"\bbe my mentor\b", body, re.I):
            raise InvalidReply('ask for one conversation about the question, not "be my mentor"')
        if len(body) > max_body:
            raise InvalidReply(f"the body has {len(body)} characters; shorten it to at most {max_body}")
        if limit.subject_chars and not 0 < len(subject) <= limit.subject_chars:
            raise InvalidReply(f"an email needs a subject of 1-{limit.subject_chars} characters")
        text = f"{greeting}{limit.joiner}{body}"
        return IntroMessage(expert_id=expert.id, channel=channel, tone=tone, subject=subject, text=text)

    values = {
        "channel": channel.value,
        "tone": tone.value,
        "max_body_chars": max_body,
        "target_words": limit.target_words,
        "max_subject_chars": limit.subject_chars,
        "minutes": minutes,
        "requester": sender or "(not given)",
        "questions": bullets(fenced_text(q, 400) for q in asked),
        "profile_data": profile_block(expert, evidence),
    }
    messages = load_prompt("intro_message", prompts_dir).render(**values)
    return chat.ask("intro_message", messages, IntroReply, check, guard=guard)
