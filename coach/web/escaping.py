"""The one path from untrusted text to the page, whatever renders it.

Profile fields, wishes, answers, journal notes and LLM output are data, never markup. Each kind of
surface has one door: `markdown_text` for untrusted text inside Markdown (it renders literally),
`safe_markdown` for Markdown the app wrote around escaped parts (links and images to hosts off the
allowlist dropped, bare URLs unlinked), `html_text` for HTML, and `toast_text` for Gradio's toasts
(`gr.Info`, `gr.Error`), which render their message as HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from coach.agenda import escape_markdown, single_line

MAX_TOAST_CHARS = 300


def markdown_text(text: str, allowlist: Sequence[str] = ()) -> str:
    """Untrusted text as inline Markdown that renders literally: no tags, links, images or emphasis."""
    return restrict_links(escape_markdown(text), allowlist)


def safe_markdown(markdown: str, allowlist: Sequence[str] = ()) -> str:
    """Markdown the app composed (its untrusted parts already escaped), held to the link policy."""
    return restrict_links(markdown, allowlist)


def html_text(text: str) -> str:
    """Text for an HTML element or attribute value."""
    return html.escape(text, quote=True)


def toast_text(text: str) -> str:
    """A toast's message: one line, bounded, with every tag shown as text rather than rendered."""
    line = single_line(text)
    if len(line) > MAX_TOAST_CHARS:
        line = line[: MAX_TOAST_CHARS - 1].rstrip() + "…"
    return html.escape(line, quote=False)


# Inline links and images, `[text](dest "title")`; the destination's first token is the URL.
_LINK = re.compile(r"(!?)\[((?:[^\[\]\\]|\\.)*)\]\(([^)]*)\)")
_REFERENCE = re.compile(r"^ {0,3}\[((?:[^\[\]\\]|\\.)+)\]:[ \t]*<?(\S*?)>?(?:[ \t].*)?$", re.MULTILINE)
_AUTOLINK = re.compile(r"<((?:[a-zA-Z][a-zA-Z0-9+.-]{1,31}):[^<>\s]*)>")
# Anywhere, not only at a word boundary: the renderer links `Seehttps://…` and `awww.…` mid-word too.
# GitHub-flavoured Markdown also turns a bare e-mail address into a mailto: link.
_EMAIL = re.compile(r"([A-Za-z0-9._+-]+)@((?:[A-Za-z0-9-]+\.)+[A-Za-z0-9-]+)")
_BARE_URL = re.compile(r"((?:https?|ftp)://[^\s<>()\[\]]+|www\.[^\s<>()\[\]]+)", re.IGNORECASE)


def host_allowed(url: str, allowlist: Iterable[str]) -> bool:
    """True for an http(s) URL whose host is on the allowlist (or a subdomain of an entry)."""
    url = url.strip().strip("<>")
    if url.lower().startswith("www."):
        url = "https://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme.lower() not in {"http", "https"} or not host:
        return False
    for entry in allowlist:
        allowed = entry.strip().lower().rstrip(".")
        if allowed and (host == allowed or host.endswith("." + allowed)):
            return True
    return False


def restrict_links(markdown: str, allowlist: Sequence[str] = ()) -> str:
    """Drop images and links to hosts not on the allowlist, keeping their text; bare URLs stop auto-linking.

    A Markdown image loads when rendered, so an injected one can send data to any host; links are
    only followed on a click, but are held to the same rule.
    """

    def inline(match: re.Match[str]) -> str:
        bang, text, destination = match.groups()
        url = destination.strip().split(" ")[0] if destination.strip() else ""
        if host_allowed(url, allowlist):
            return match.group(0)
        return text if not bang else (f"[image: {text}]" if text.strip() else "")

    def reference(match: re.Match[str]) -> str:
        return match.group(0) if host_allowed(match.group(2), allowlist) else ""

    def autolink(match: re.Match[str]) -> str:
        url = match.group(1)
        return match.group(0) if host_allowed(url, allowlist) else _unlinked(url)

    def bare(match: re.Match[str]) -> str:
        url = match.group(1)
        return url if host_allowed(url, allowlist) else _unlinked(url)

    def email(match: re.Match[str]) -> str:
        local, domain = match.groups()
        return match.group(0) if host_allowed(f"https://{domain}", allowlist) else f"{local}\\@{domain}"

    markdown = _LINK.sub(inline, markdown)
    markdown = _REFERENCE.sub(reference, markdown)
    markdown = _AUTOLINK.sub(autolink, markdown)
    markdown = _BARE_URL.sub(bare, markdown)
    return _EMAIL.sub(email, markdown)


def _unlinked(url: str) -> str:
    # A backslash before `:` or `.` is a Markdown escape: the text reads the same but no longer auto-links.
    if url.lower().startswith("www."):
        return "www\\." + url[4:]
    return url.replace("://", "\\://", 1)
