"""What every tab shares: the long-lived service, settings and journal, and the edge where errors become toasts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import gradio as gr

from coach.agenda import escape_markdown
from coach.config import Settings
from coach.errors import CoachError
from coach.journal.store import Journal, JournalError
from coach.models import Mode
from coach.service import CoachService
from coach.users import check_name
from coach.web.cards import expert_choices, people_html
from coach.web.render import questions_note, restrict_links
from coach.web.session import CoachSession
from vectorstore.models import ExpertProfile

LLM_LIMIT = 4  # slow, rate-limited LLM turns
OFFLINE_LIMIT = 16  # matching, agenda, journal: milliseconds each, so they never queue behind the LLM
QUEUE_MAX = 128
NO_EXPERT = "### Choose someone under *People* first"  # the Agenda and Intro titles until then


@contextmanager
def user_errors() -> Iterator[None]:
    """Errors meant for the user become a Gradio error toast, here at the edge and nowhere else."""
    try:
        yield
    except (CoachError, JournalError) as exc:
        raise gr.Error(str(exc)) from exc


@dataclass(frozen=True)
class Frame:
    """The components outside any one tab: per-session state, the notice banner and the tab strip."""

    session: gr.State
    notice: gr.HTML
    tabs: gr.Tabs


@dataclass(frozen=True)
class WebContext:
    """The long-lived pieces every handler uses; shared by all sessions, so it holds no per-user state."""

    service: CoachService
    settings: Settings
    journal: Journal

    @property
    def uses_llm(self) -> bool:
        return self.service.mode is Mode.llm

    @property
    def offline(self) -> dict[str, Any]:
        """Event arguments for work that takes milliseconds (matching, agenda, files, journal)."""
        return {"concurrency_id": "offline", "concurrency_limit": OFFLINE_LIMIT}

    @property
    def coach(self) -> dict[str, Any]:
        """Event arguments for work that may call the LLM: its own small group, so offline work never
        waits behind it (the offline group when there is no LLM)."""
        if not self.uses_llm:
            return self.offline
        return {"concurrency_id": "llm", "concurrency_limit": LLM_LIMIT}

    def user_id(self, request: gr.Request | None) -> str:
        """Who is asking: the SSO proxy's identity header when trusted (COACH_IDENTITY_HEADER), else the
        login (users file or COACH_AUTH), else the single local user of a laptop install."""
        header = self.settings.identity_header
        if header:
            headers = getattr(request, "headers", None) or {}
            name = str(headers.get(header.lower(), "") or headers.get(header, "")).strip()
            if not name:
                raise gr.Error(f"Sign in through the company's sign-in page: the {header} header is missing.")
            with user_errors():
                return check_name(name)
        login = getattr(request, "username", None) if request is not None else None
        return str(login) if login and self.signs_in else "local"

    @property
    def signs_in(self) -> bool:
        users = self.service.users
        return self.settings.auth is not None or (users is not None and users.has_accounts)

    def is_admin(self, request: gr.Request | None) -> bool:
        """Whether this person is named in COACH_ADMINS (never true for the anonymous local user)."""
        if not (self.signs_in or self.settings.identity_header):
            return False
        user = self.user_id(request)
        return self.service.users is not None and self.service.users.is_admin(user)

    def inert(self, text: str) -> str:
        """Untrusted text as Markdown that renders literally, with off-allowlist links dropped too."""
        return restrict_links(escape_markdown(text), self.settings.link_allowlist)

    def chosen(self, expert_id: str | None) -> ExpertProfile:
        """The expert picked under People, or a toast asking to pick one."""
        if not expert_id:
            raise gr.Error("Choose someone under People first.")
        with user_errors():
            return self.service.expert(expert_id)

    def picker(self, session: CoachSession, current: str | None = None) -> dict[str, Any]:
        """An expert dropdown offering the session's people; keeps `current` when it is still offered."""
        people = expert_choices(session.matches)
        ids = [pid for _, pid in people]
        return gr.update(choices=people, value=current if current in ids else (ids[0] if ids else None))

    def views(self, session: CoachSession) -> tuple[Any, ...]:
        """The question list, the why-note, the cards and the expert picker, from the session."""
        return (
            [[q.text] for q in session.questions] or [[""]],
            questions_note(session.questions),
            people_html(session.matches),
            self.picker(session),
        )
