"""The time-boxed coffee-chat agenda, rendered as Markdown, plain text and an iCalendar invite."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Event, vCalAddress

from coach.clauses import topic_of
from coach.errors import CoachInputError
from coach.markdown import escape_markdown, single_line
from coach.models import MAX_QUESTIONS, Agenda, AgendaItem
from vectorstore.models import ExpertProfile

MAX_QUESTION_CHARS = 400
MIN_QUESTION_MINUTES = 2
REFERRAL_QUESTION = "What should I read to go deeper, and who else should I talk to?"
PRODID = "-//question-coach//coffee-chat agenda//EN"
UID_DOMAIN = "question-coach"
_UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, UID_DOMAIN)
_ICS_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_EMAIL = re.compile(r"^[^@\s<>()\[\]\",;:\\]+@[^@\s<>()\[\]\",;:\\]+\.[^@\s<>()\[\]\",;:\\]+$")


@dataclass(frozen=True)
class _Timing:
    """The fixed parts of a chat of one length; what is left is shared by the questions."""

    opening: int
    referral: int
    wrap_up: int

    @property
    def overhead(self) -> int:
        return self.opening + self.referral + self.wrap_up


# 20 minutes gives 2 + 11 (for the questions) + 4 + 3, the example in PRODUCT.md.
TIMINGS: dict[int, _Timing] = {
    15: _Timing(opening=2, referral=2, wrap_up=2),
    20: _Timing(opening=2, referral=4, wrap_up=3),
    30: _Timing(opening=2, referral=5, wrap_up=3),
}


def max_questions(minutes: int) -> int:
    """How many questions fit a chat of this length at two minutes each at least."""
    timing = _timing(minutes)
    return min(MAX_QUESTIONS, (minutes - timing.overhead) // MIN_QUESTION_MINUTES)


def build_agenda(
    expert: ExpertProfile,
    questions: Sequence[str],
    minutes: int = 20,
    *,
    start: datetime | None = None,
    requester: str = "",
    about_me: str = "",
    why_them: str = "",
) -> Agenda:
    """Time-box a chat: opening, each question in order, the referral question, thanks and next step.

    The opening says who I am (`about_me`, a first-person line from the wish: "I work in support and want
    to move into product management") and why this person (`why_them`, from their profile: "their work on
    roadmaps"); without them it says what to cover rather than a placeholder."""
    timing = _timing(minutes)
    cleaned = _clean_questions(questions)
    limit = max_questions(minutes)
    if len(cleaned) > limit:
        longer = [m for m in sorted(TIMINGS) if max_questions(m) >= len(cleaned)]
        advice = f", or choose a {longer[0]}-minute chat" if longer else ""
        raise CoachInputError(
            f"{len(cleaned)} questions do not fit a {minutes}-minute chat (at most {limit} with "
            f"{MIN_QUESTION_MINUTES} minutes each): pick the {limit} that matter most{advice}."
        )
    first_name = first_name_of(expert.name)
    opening = _opening(
        single_line(requester), single_line(about_me).rstrip("."), single_line(why_them), first_name
    )
    items = [AgendaItem(minutes=timing.opening, title="Who I am and why I asked", detail=opening)]
    shares = _share(minutes - timing.overhead, len(cleaned))
    items += [
        AgendaItem(minutes=share, title=f"Question {number}", detail=question)
        for number, (share, question) in enumerate(zip(shares, cleaned, strict=True), start=1)
    ]
    items.append(AgendaItem(minutes=timing.referral, title="Going deeper", detail=REFERRAL_QUESTION))
    items.append(
        AgendaItem(
            minutes=timing.wrap_up,
            title="Thanks and next step",
            detail=f"Thank {first_name}; offer to share what I learn and follow up on any pointers.",
        )
    )
    return Agenda(expert=expert, questions=cleaned, minutes=minutes, items=items, start=start)


def _opening(name: str, about_me: str, why_them: str, first_name: str) -> str:
    """ "I'm Alex; I work in support and want to move into product. Why Sam: their work on roadmaps." """
    who = about_me
    if name:
        who = f"I'm {name}; {about_me}" if about_me else f"I'm {name}"
    why = f"Why {first_name}: {why_them}" if why_them else ""
    who = who if who.endswith(("?", "!")) else f"{who}." if who else ""
    if who and why:
        return f"{who} {why}."
    if who:
        return f"{who} Say why you chose {first_name} for this question."
    if why:
        return f"Say in a sentence who you are and what you are working on. {why}."
    return f"Say in a sentence who you are, what you are working on, and why you chose {first_name}."


def agenda_with_renderings(
    expert: ExpertProfile,
    questions: Sequence[str],
    minutes: int = 20,
    *,
    start: datetime | None = None,
    tz: str | None = None,
    requester: str = "",
    about_me: str = "",
    why_them: str = "",
    organizer_email: str = "",
    now: datetime | None = None,
) -> Agenda:
    """Build the agenda with `.markdown` filled, and `.ics` too when a start time is given."""
    if start is not None:
        zone_name = tz or getattr(start.tzinfo, "key", None)
        if zone_name is None:
            raise CoachInputError("A start time needs a time zone: pass tz, e.g. tz='Europe/London'.")
        start = _localise(start, zone_name)
    agenda = build_agenda(
        expert, questions, minutes, start=start, requester=requester, about_me=about_me, why_them=why_them
    )
    markdown = render_markdown(agenda)
    if start is None:
        return agenda.model_copy(update={"markdown": markdown})
    ics = render_ics(agenda, start=start, tz=str(zone_name), organizer_email=organizer_email, now=now)
    return agenda.model_copy(update={"markdown": markdown, "ics": ics})


def render_markdown(agenda: Agenda) -> str:
    """A Markdown agenda; every profile- or user-derived string is escaped so it renders as text."""
    expert = agenda.expert
    lines = [f"# Coffee chat with {escape_markdown(expert.name)}", ""]
    if expert.title:
        lines += [f"*{escape_markdown(expert.title)}*", ""]
    when = f"**{agenda.minutes} minutes**"
    if agenda.start is not None:
        when += f" · {escape_markdown(_format_start(agenda.start))}"
    lines += [when, ""]
    for span, item in zip(_spans(agenda), agenda.items, strict=True):
        lines.append(f"- **{span}** · **{escape_markdown(item.title)}** ({item.minutes} min)")
        if item.detail:
            lines.append(f"  {escape_markdown(item.detail)}")
    return "\n".join(lines) + "\n"


def render_text(agenda: Agenda) -> str:
    """The agenda as plain text, as used for the calendar invite's description."""
    expert = agenda.expert
    header = f"Coffee chat with {single_line(expert.name)}"
    if expert.title:
        header += f" ({single_line(expert.title)})"
    lines = [header, f"{agenda.minutes} minutes", ""]
    for span, item in zip(_spans(agenda), agenda.items, strict=True):
        lines.append(f"{span}  {item.title}")
        if item.detail:
            lines.append(f"    {item.detail}")
    return "\n".join(lines)


def render_ics(
    agenda: Agenda,
    *,
    start: datetime,
    tz: str,
    organizer_email: str = "",
    now: datetime | None = None,
) -> str:
    """An RFC 5545 calendar with one event and its VTIMEZONE; a naive `start` is read in `tz`."""
    local_start = _localise(start, tz)
    stamp = now or datetime.now(UTC)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    uid = event_uid(agenda, local_start)
    event = Event.new(
        uid=uid,
        stamp=stamp.astimezone(UTC),
        start=local_start,
        end=local_start + timedelta(minutes=agenda.minutes),
        summary=ics_text(_summary(agenda)),
        description=ics_text(render_text(agenda)),
    )
    if organizer_email:
        if not _EMAIL.match(organizer_email):
            raise CoachInputError(
                f"Organizer email {organizer_email!r} is not a plain address like alex@example.com."
            )
        event.add("organizer", vCalAddress(f"mailto:{organizer_email}"))
    # The profile email is untrusted: an address with odd characters is left out, not passed through.
    if _EMAIL.match(agenda.expert.email):
        attendee = vCalAddress(f"mailto:{agenda.expert.email}")
        attendee.params["CN"] = ics_text(single_line(agenda.expert.name))
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        attendee.params["PARTSTAT"] = "NEEDS-ACTION"
        attendee.params["RSVP"] = "TRUE"
        event.add("attendee", attendee)
    # Without a uid, Calendar.new makes a random one and the same input would give different files.
    calendar = Calendar.new(prodid=PRODID, uid=uid, subcomponents=[event])
    # Covering the event's year is enough, and keeps the VTIMEZONE a few lines long.
    day = local_start.date()
    calendar.add_missing_timezones(first_date=day - timedelta(days=366), last_date=day + timedelta(days=366))
    return calendar.to_ical().decode("utf-8")


def ics_text(text: str) -> str:
    """Text an iCalendar TEXT value may hold (RFC 5545 3.3.11): no control character but HTAB and the
    newlines the writer escapes; a stray one from a profile or a wish would make the file invalid.

    icalendar's writer also reads a literal `\\N` in its input as a line break (`C:\\New` would come out as
    "C:" and "ew"), so a word joiner, which shows as nothing, keeps the backslash and the N apart."""
    return _ICS_CONTROL.sub("", text).replace("\\N", "\\\u2060N")


def _summary(agenda: Agenda) -> str:
    title = f"Coffee chat with {single_line(agenda.expert.name)}"
    topic = topic_of(agenda.questions[0])
    return f"{title}: {topic}" if topic else title


def event_uid(agenda: Agenda, start: datetime) -> str:
    """A UID that is the same for the same expert, start instant and questions, so re-imports update."""
    instant = start.astimezone(UTC).isoformat() if start.tzinfo else start.isoformat()
    key = "\n".join([agenda.expert.id, instant, *agenda.questions])
    return f"{uuid.uuid5(_UID_NAMESPACE, key)}@{UID_DOMAIN}"


def first_name_of(name: str) -> str:
    """The first word of the profile's name, without surrounding punctuation."""
    words = single_line(name).split(" ")
    honorifics = {"dr", "prof", "mr", "mrs", "ms", "mx", "sir", "dame"}
    if len(words) > 1 and words[0].rstrip(".").lower() in honorifics:
        words = words[1:]
    first = words[0].strip(".,;:!?\"'()")
    return (first or words[0])[:40]


def shorten(text: str, limit: int) -> str:
    """Cut text to at most `limit` characters at a word boundary, ending with an ellipsis if cut."""
    text = single_line(text)
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 1)]
    if " " in cut and cut.rfind(" ") > limit // 2:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-–—") + "…"


def _timing(minutes: int) -> _Timing:
    if minutes not in TIMINGS:
        lengths = ", ".join(str(m) for m in sorted(TIMINGS))
        raise CoachInputError(f"A coffee chat lasts {lengths} minutes, not {minutes}: pick one of those.")
    return TIMINGS[minutes]


def _clean_questions(questions: Sequence[str]) -> list[str]:
    if isinstance(questions, str):
        raise CoachInputError("Pass the questions as a list of strings, not one string.")
    cleaned = [single_line(question) for question in questions]
    if not cleaned or len(cleaned) > MAX_QUESTIONS:
        raise CoachInputError(f"An agenda needs 1 to {MAX_QUESTIONS} questions, got {len(cleaned)}.")
    for number, question in enumerate(cleaned, start=1):
        if not question:
            raise CoachInputError(f"Question {number} is empty: write it out or remove it.")
        if len(question) > MAX_QUESTION_CHARS:
            raise CoachInputError(
                f"Question {number} has {len(question)} characters; keep it under {MAX_QUESTION_CHARS} "
                "so it can be answered in a few minutes."
            )
    return cleaned


def _share(total: int, count: int) -> list[int]:
    # Spare minutes go to the later questions, which build on the earlier answers (5 + 6 in PRODUCT.md).
    base, spare = divmod(total, count)
    return [base + (1 if index >= count - spare else 0) for index in range(count)]


def _spans(agenda: Agenda) -> list[str]:
    spans: list[str] = []
    offset = 0
    for item in agenda.items:
        spans.append(f"{_clock(offset)}-{_clock(offset + item.minutes)}")
        offset += item.minutes
    return spans


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def _localise(start: datetime, tz: str) -> datetime:
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:  # OSError: a name too long for a file
        raise CoachInputError(
            f"Unknown time zone {tz[:60]!r}: use an IANA name such as 'Europe/London' or 'America/New_York'."
        ) from error
    return start.replace(tzinfo=zone) if start.tzinfo is None else start.astimezone(zone)


def _format_start(start: datetime) -> str:
    zone = getattr(start.tzinfo, "key", None) or start.tzname() or ""
    return f"{start:%A} {start.day} {start:%B %Y, %H:%M} {zone}".rstrip()
