"""What every tab shares: the long-lived service, settings and journal, and the edge where errors become toasts."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import gradio as gr

from coach.config import Settings
from coach.errors import CoachError
from coach.journal.store import Journal, JournalError
from coach.models import Mode
from coach.service import CoachService
from coach.unicode import as_unicode
from coach.users import check_name
from coach.web.cards import expert_choices, people_html
from coach.web.escaping import markdown_text, toast_text
from coach.web.render import questions_note
from coach.web.session import CoachSession
from vectorstore.models import ExpertProfile

LLM_LIMIT = 4  # slow, rate-limited LLM turns
OFFLINE_LIMIT = 16  # matching, agenda, journal: milliseconds each, so they never queue behind the LLM
QUEUE_MAX = 128
# Gradio covers an event's outputs with an "Error" badge when its handler fails, hiding e.g. the question
# list behind it; the toast already says what went wrong, so events show no status on their outputs.
QUIET: dict[str, Any] = {"show_progress": "hidden"}
log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])
UNEXPECTED = (
    "Something went wrong on our side, and nothing you typed was lost. Try again; if it keeps happening, "
    "the server log says what failed."
)
NO_EXPERT = "### Choose someone under *People* first"  # the Agenda and Intro titles until then


def user_error(message: str) -> gr.Error:
    """An error toast for something the user can fix: escaped (toasts render HTML), and no traceback
    in the server log, since nothing is wrong with the server."""
    return gr.Error(toast_text(message), print_exception=False)


def notify(message: str) -> None:
    """An information toast, escaped like every other string the page shows."""
    gr.Info(toast_text(message))


@contextmanager
def user_errors() -> Iterator[None]:
    """Errors meant for the user become a Gradio error toast, here at the edge and nowhere else."""
    try:
        yield
    except (CoachError, JournalError) as exc:
        raise user_error(str(exc)) from exc


def explain(exc: Exception, where: str) -> str:
    """What to tell the user about a failure: the message of one they can fix, else an apology (and
    the traceback goes to the server log)."""
    if isinstance(exc, CoachError | JournalError):
        return str(exc)
    log.error("web handler %s failed", where, exc_info=exc)
    return UNEXPECTED


def valid(values: Any) -> Any:
    """A handler's arguments with any text that is not valid Unicode (an API client can send JSON's lone
    surrogates) repaired, so no handler has to think about it."""
    return as_unicode(values)


def handler(fn: F) -> F:
    """Marks an event handler: its text inputs are made valid Unicode, user errors become toasts, and
    anything unexpected is logged with its traceback and shown to the user as a short apology."""

    def translate(exc: Exception) -> gr.Error:
        return user_error(explain(exc, fn.__qualname__))

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*valid(args), **valid(kwargs))
            except gr.Error:
                raise
            except Exception as exc:  # the edge: every failure becomes a toast
                raise translate(exc) from exc

        return stream  # type: ignore[return-value]

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*valid(args), **valid(kwargs))
        except gr.Error:
            raise
        except Exception as exc:  # the edge: every failure becomes a toast
            raise translate(exc) from exc

    return call  # type: ignore[return-value]


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
        return {"concurrency_id": "offline", "concurrency_limit": OFFLINE_LIMIT, **QUIET}

    @property
    def coach(self) -> dict[str, Any]:
        """Event arguments for work that may call the LLM: its own small group, so offline work never
        waits behind it (the offline group when there is no LLM)."""
        if not self.uses_llm:
            return self.offline
        return {"concurrency_id": "llm", "concurrency_limit": LLM_LIMIT, **QUIET}

    def user_id(self, request: gr.Request | None) -> str:
        """Who is asking: the SSO proxy's identity header when trusted (COACH_IDENTITY_HEADER), else the
        login (users file or COACH_AUTH), else the single local user of a laptop install."""
        header = self.settings.identity_header
        if header:
            headers = getattr(request, "headers", None) or {}
            name = str(headers.get(header.lower(), "") or headers.get(header, "")).strip()
            if not name:
                raise user_error(
                    f"Sign in through the company's sign-in page: the {header} header is missing."
                )
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
        return markdown_text(text, self.settings.link_allowlist)

    def chosen(self, expert_id: str | None) -> ExpertProfile:
        """The expert picked under People, or a toast asking to pick one."""
        if not expert_id:
            raise user_error("Choose someone under People first.")
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
