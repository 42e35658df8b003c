"""HTML the web UI shows: the header badge and the expert cards; every profile string is escaped."""

from __future__ import annotations

import re
from collections.abc import Sequence

from coach.models import Connector, QuestionMatches, TimelineEvent, TimelineKind
from coach.web.escaping import html_text
from vectorstore.models import Availability, ExpertMatch, ExpertProfile

MAX_EVIDENCE_PHRASES = 4
AVAILABILITY_LABEL = {
    Availability.open: "Open to chats",
    Availability.limited: "Limited availability",
    Availability.unavailable: "Unavailable",
}
FIELD_LABEL = {"expertise": "Expertise", "title": "Title", "bio": "Bio", "department": "Department"}
TIMELINE_LABEL = {
    TimelineKind.wish: "Wish",
    TimelineKind.question: "Question",
    TimelineKind.chat_planned: "Planned",
    TimelineKind.chat_done: "Chat",
    TimelineKind.chat_cancelled: "Cancelled",
    TimelineKind.question_answered: "Answered",
    TimelineKind.takeaway: "Learned",
    TimelineKind.referral: "Referral",
}
MAX_TIMELINE = 200

CSS = """
.qc-header { display: flex; align-items: center; justify-content: space-between; gap: 12px;
  flex-wrap: wrap; padding: 4px 2px 0; }
.qc-header h1 { font-size: 1.45rem; margin: 0; font-weight: 700; letter-spacing: -0.01em; }
.qc-header p { margin: 2px 0 0; color: var(--body-text-color-subdued); font-size: 0.95rem; }
.qc-mode { display: inline-flex; align-items: center; gap: 6px; border-radius: 999px; padding: 4px 12px;
  font-size: 0.85rem; font-weight: 600; border: 1px solid var(--border-color-primary);
  background: var(--background-fill-secondary); white-space: nowrap; }
.qc-mode .qc-dot { width: 8px; height: 8px; border-radius: 50%; background: #16a34a; }
.qc-mode.qc-llm .qc-dot { background: #6366f1; }
.qc-notice { border-radius: 8px; padding: 8px 12px; background: #fef3c7; color: #78350f;
  border: 1px solid #fcd34d; font-size: 0.92rem; }
.qc-group { margin: 0 0 18px; }
.qc-q { display: flex; gap: 10px; align-items: baseline; font-size: 1rem; font-weight: 600; margin: 0 0 8px; }
.qc-num { flex: none; display: inline-grid; place-items: center; width: 24px; height: 24px; border-radius: 50%;
  background: var(--color-accent); color: white; font-size: 0.8rem; }
.qc-cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 10px; }
.qc-card { border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 12px 14px;
  background: var(--block-background-fill); display: flex; flex-direction: column; gap: 4px; min-width: 0; }
.qc-card.qc-connector { border-style: dashed; }
.qc-card-head { display: flex; justify-content: space-between; gap: 8px; align-items: flex-start; }
.qc-name { font-weight: 650; font-size: 1rem; overflow-wrap: anywhere; }
.qc-role { font-size: 0.9rem; overflow-wrap: anywhere; }
.qc-meta { font-size: 0.82rem; color: var(--body-text-color-subdued); overflow-wrap: anywhere; }
.qc-why { margin: 4px 0 0; padding: 0; list-style: none; font-size: 0.85rem; }
.qc-why li { margin: 2px 0; overflow-wrap: anywhere; }
.qc-why b { font-weight: 600; }
.qc-ask { font-size: 0.9rem; font-style: italic; overflow-wrap: anywhere; }
.qc-note { font-size: 0.8rem; color: var(--body-text-color-subdued); }
.qc-badge { flex: none; border-radius: 999px; padding: 2px 8px; font-size: 0.75rem; font-weight: 600;
  white-space: nowrap; }
.qc-open { background: #dcfce7; color: #166534; }
.qc-limited { background: #fef9c3; color: #854d0e; }
.qc-unavailable { background: #fee2e2; color: #991b1b; }
.qc-empty { color: var(--body-text-color-subdued); padding: 18px 4px; }
#qc-actions { align-items: flex-end; }
#qc-actions button { max-height: 42px; }
.qc-panel-head { align-items: center; }
.qc-panel-head h3 { margin: 0; }
.qc-hint, .qc-hint p { font-size: 0.82rem; color: var(--body-text-color-subdued); }
#qc-questions .body-cell, #qc-questions .body-cell *, #qc-questions td, #qc-questions th { font-family: var(--font) !important; }
.qc-timeline { list-style: none; margin: 0; padding: 0; }
.qc-timeline li { display: grid; grid-template-columns: 86px 92px 1fr; gap: 8px; align-items: baseline;
  padding: 6px 0; border-bottom: 1px solid var(--border-color-primary); font-size: 0.9rem; }
.qc-timeline time { color: var(--body-text-color-subdued); font-size: 0.82rem; }
.qc-kind { justify-self: start; border-radius: 999px; padding: 1px 8px; font-size: 0.72rem; font-weight: 600;
  background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary); }
.qc-kind-chat_done, .qc-kind-question_answered { background: #dcfce7; color: #166534; border-color: #bbf7d0; }
.qc-kind-takeaway { background: #e0e7ff; color: #3730a3; border-color: #c7d2fe; }
.qc-kind-referral { background: #fef9c3; color: #854d0e; border-color: #fde68a; }
.qc-detail { color: var(--body-text-color-subdued); font-style: italic; }
@media (max-width: 520px) {
  #qc-tabs .tab-container button { padding-left: 7px !important; padding-right: 7px !important;
    font-size: 0.88rem !important; }
  .qc-timeline li { grid-template-columns: 1fr; gap: 2px; }
  .qc-header h1 { font-size: 1.2rem; }
}
#qc-notice:not(:has(.qc-notice)) { display: none; }
footer { display: none !important; }
"""


# Gradio scopes `css` to the app's content; the page margins sit outside it, so they go in the <head>.
HEAD = (
    "<style>@media (max-width: 520px) { .gradio-container .main.app "
    "{ padding-left: 12px !important; padding-right: 12px !important; } }</style>"
)


def header_html(mode_label: str, is_llm: bool) -> str:
    """The app title and the mode badge ("Offline coach" or "LLM: <model>")."""
    kind = "qc-llm" if is_llm else "qc-offline"
    return (
        '<div class="qc-header"><div><h1>Question Coach</h1>'
        "<p>What do you want to learn next, and who could teach you?</p></div>"
        f'<span class="qc-mode {kind}" id="qc-mode-badge"><span class="qc-dot"></span>{html_text(mode_label)}</span>'
        "</div>"
    )


def notice_html(message: str) -> str:
    """A warning banner from plain text; empty text gives no banner."""
    return f'<div class="qc-notice" role="status">⚠️ {html_text(message)}</div>' if message else ""


def availability_badge(availability: Availability) -> str:
    label = AVAILABILITY_LABEL[availability]
    return f'<span class="qc-badge qc-{availability.value}">{html_text(label)}</span>'


def expert_card(match: ExpertMatch) -> str:
    """One person: name, role, place, availability and the profile phrases that fit the question."""
    profile = match.profile
    evidence = [ev for ev in match.evidence if ev.phrases]
    shown_elsewhere = {"title", "department"}  # already on the card, so only listed when nothing else fits
    evidence = [ev for ev in evidence if ev.field not in shown_elsewhere] or evidence
    why = [
        f"<li><b>{html_text(FIELD_LABEL.get(ev.field, ev.field.capitalize()))}:</b> "
        f"{html_text(', '.join(ev.phrases[:MAX_EVIDENCE_PHRASES]))}</li>"
        for ev in evidence
    ] or ["<li>Similar wording overall</li>"]
    notes = "".join(f'<div class="qc-note">{html_text(note)}</div>' for note in getattr(match, "notes", []))
    return (
        f'<article class="qc-card" data-expert-id="{html_text(profile.id)}">'
        f'<div class="qc-card-head"><div class="qc-name">{html_text(profile.name)}</div>'
        f"{availability_badge(profile.availability)}</div>"
        f"{_role(profile)}{_meta(profile)}"
        f'<ul class="qc-why">{"".join(why)}</ul>{notes}</article>'
    )


def connector_card(connector: Connector) -> str:
    """Someone who knows who knows, and the small question to ask them."""
    profile = connector.profile
    return (
        f'<article class="qc-card qc-connector" data-expert-id="{html_text(profile.id)}">'
        f'<div class="qc-card-head"><div class="qc-name">{html_text(profile.name)}</div>'
        f"{availability_badge(profile.availability)}</div>"
        f"{_role(profile)}{_meta(profile)}"
        f'<div class="qc-ask">Ask: “{html_text(connector.ask)}”</div>'
        f'<div class="qc-note">{html_text(connector.reason)}</div></article>'
    )


def people_html(groups: Sequence[QuestionMatches]) -> str:
    """Cards grouped by question; a connector card when nobody fits well."""
    if not groups:
        return (
            '<div class="qc-empty">No questions yet. Describe what you want to learn in the chat, '
            "and the people who could teach you appear here.</div>"
        )
    sections = []
    for number, group in enumerate(groups, start=1):
        cards = [] if group.nobody_fits else [expert_card(match) for match in group.matches]
        if group.connector is not None:
            cards.append(connector_card(group.connector))
        if not cards:
            cards.append('<div class="qc-empty">Nobody matches these filters; widen them.</div>')
        sections.append(
            f'<section class="qc-group"><h3 class="qc-q"><span class="qc-num">{number}</span>'
            f"<span>{html_text(group.question.text)}</span></h3>"
            f'<div class="qc-cards">{"".join(cards)}</div></section>'
        )
    return f'<div class="qc-people">{"".join(sections)}</div>'


def expert_choices(groups: Sequence[QuestionMatches]) -> list[tuple[str, str]]:
    """(label, id) pairs for the "Choose expert" dropdown, best-fitting first, each person once."""
    seen: dict[str, str] = {}
    people = [m.profile for g in groups if not g.nobody_fits for m in g.matches]
    people += [g.connector.profile for g in groups if g.connector is not None]
    for profile in people:
        if profile.id not in seen:
            seen[profile.id] = expert_label(profile)
    return [(label, pid) for pid, label in seen.items()]


def expert_label(profile: ExpertProfile) -> str:
    """Plain text (the dropdown renders text, not HTML): name and title."""
    return f"{profile.name} — {profile.title}" if profile.title else profile.name


def role_parts(profile: ExpertProfile) -> list[str]:
    """Title and department, without the department when the title already names it
    ("Freelance and Vendor Manager, Production" in Production is not followed by "Production" again)."""
    title, department = " ".join(profile.title.split()), " ".join(profile.department.split())
    named = department and re.search(rf"(?<!\w){re.escape(department)}(?!\w)", title, re.IGNORECASE)
    return [part for part in (title, "" if named else department) if part]


def _role(profile: ExpertProfile) -> str:
    parts = role_parts(profile)
    return f'<div class="qc-role">{html_text(" · ".join(parts))}</div>' if parts else ""


def _meta(profile: ExpertProfile) -> str:
    parts = [part for part in (profile.location, ", ".join(profile.languages)) if part]
    return f'<div class="qc-meta">{html_text(" · ".join(parts))}</div>' if parts else ""


def timeline_html(events: Sequence[TimelineEvent], limit: int = MAX_TIMELINE) -> str:
    """The journal's history, newest first, each line tagged with what kind of step it was."""
    if not events:
        return '<div class="qc-empty">Nothing yet. Log a chat after it happens, and it shows up here.</div>'
    items = []
    for event in list(reversed(events))[:limit]:
        detail = f' <span class="qc-detail">— {html_text(event.detail)}</span>' if event.detail else ""
        items.append(
            f'<li><time datetime="{event.at.isoformat()}">{event.at:%Y-%m-%d}</time>'
            f'<span class="qc-kind qc-kind-{event.kind.value}">{html_text(TIMELINE_LABEL.get(event.kind, event.kind))}</span>'
            f"<span>{html_text(event.text)}{detail}</span></li>"
        )
    return f'<ul class="qc-timeline">{"".join(items)}</ul>'
