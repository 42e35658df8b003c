"""Untrusted text on its way into prompts (fenced, neutralised data) and model text on its way out (checked)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from publicsuffixlist import PublicSuffixList

from coach.agenda import first_name_of, shorten, single_line
from coach.llm.replies import InvalidReply
from coach.models import MAX_WISH_CHARS
from coach.visible import visible_text
from vectorstore.models import ExpertProfile, FieldEvidence
from vectorstore.once import once

# One definition of a link, an address and a phone number, for what goes into prompts (redacted) and what
# comes out of the model (refused). A link with a scheme or `www.` is always one; a bare dotted name is one
# when it ends in a real top-level domain (the Public Suffix List bundled in `publicsuffixlist`, read offline)
# or a name reserved for private and documentation use, path or not: `evil.example/notes` and `evil.com` are
# links, while `Node.js`, `Vue.js` or a sentence missing its space (`teams.She`) are words.
_DOMAIN = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?P<tld>[a-z][a-z0-9-]{1,62})\b"
URL = re.compile(r"\b[a-z][a-z0-9+.-]{1,31}://\S*|\bmailto:\S*|www\.\S*", re.I)
DOMAIN = re.compile(rf"(?<![\w@.-]){_DOMAIN}(?::\d+)?(?:/\S*)?", re.I)
# RFC 2606 and RFC 6761 names, and those commonly used inside organisations, are never delegated: no list has them.
_RESERVED_TLDS = frozenset(
    {
        "example",
        "test",
        "invalid",
        "localhost",
        "local",
        "internal",
        "intranet",
        "lan",
        "corp",
        "home",
        "onion",
    }
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A leading + or 9-15 digits in one run of digits and separators; dates (2024-01-15) and sums stay.
PHONE = re.compile(r"(?<![\w+])(?:\+\d(?:[ ().-]{0,2}\d){6,14}|\(?\d(?:[ ().-]{0,2}\d){8,14})(?!\w)")
# Asking the reader for a secret: what an injected "ask them to reply with their password" makes of an intro.
CREDENTIALS = re.compile(
    r"\b(?:send|share|reply with|give|tell|provide|confirm|enter|re-?enter|type|include)\b[^.?!\n]{0,30}"
    r"\b(?:your|their|his|her)\s+(?:\w+\s+)?(?:passwords?|passcodes?|credentials|log-?in details|one-time codes?|PINs?)\b",
    re.I,
)
CONTACT_REMOVED = "(contact details removed)"


@once
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList(accept_unknown=False)  # the bundled list: no download


def _is_domain(match: re.Match[str]) -> bool:
    tld = match.group("tld").lower()
    return tld in _RESERVED_TLDS or _suffixes().is_public(tld)


def find_domain(text: str) -> bool:
    return any(_is_domain(match) for match in DOMAIN.finditer(text))


def _search(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda text: pattern.search(text) is not None


_UNSAFE: tuple[tuple[Callable[[str], bool], str], ...] = (
    (_search(URL), "a link"),
    (find_domain, "a link"),
    (_search(re.compile(r"!?\[[^\]]*\]\([^)]*\)|!\[", re.I)), "markdown links or images"),
    (_search(EMAIL), "an email address"),
    (_search(PHONE), "a phone number"),
    (_search(re.compile(r"</?[a-z!][^>]*>", re.I)), "HTML tags"),
    (_search(re.compile(r"\[[^\]\n]{1,40}\]|\{[^}\n]{0,40}\}")), "a [placeholder]"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def fenced_text(text: str, limit: int) -> str:
    """Untrusted text made safe to place inside a data fence: visible characters only, no contact details,
    one line, no angle brackets, capped.

    Names and contacts reach a prompt only from the profile record's own fields (and the record's email
    never does); an address, phone number or link written into a bio, an expertise item or a note is
    removed, so the model can neither repeat it nor be steered by it.
    """
    text = redact_contacts(visible_text(text))
    text = _CONTROL.sub(" ", text).replace("<", "‹").replace(">", "›")
    return shorten(text, limit)


def redact_contacts(text: str) -> str:
    """`text` with every email address, link and phone number replaced by a marker."""
    text = URL.sub(CONTACT_REMOVED, text)  # a URL may hold an @, an email a domain
    text = EMAIL.sub(CONTACT_REMOVED, text)
    text = DOMAIN.sub(lambda match: CONTACT_REMOVED if _is_domain(match) else match.group(), text)
    return PHONE.sub(CONTACT_REMOVED, text)


def profile_block(
    expert: ExpertProfile,
    evidence: Sequence[FieldEvidence],
    *,
    with_id: bool = False,
    brief: bool = False,
) -> str:
    # Only what the task needs: never email, location, availability or `extra`.
    # A phrase the profile does not contain would be an invented fact, so it is left out.
    # `brief` is the re-ranking's version: many profiles share one prompt, so the name goes and the rest shrinks.
    known = single_line(" ".join([expert.title, expert.department, *expert.expertise, expert.bio])).casefold()
    phrases = unique(
        fenced_text(p, 80) for ev in evidence for p in ev.phrases if single_line(p).casefold() in known
    )
    fields = [
        ("id", fenced_text(expert.id, 200) if with_id else ""),
        ("first_name", "" if brief else fenced_text(first_name_of(expert.name), 40)),
        ("title", fenced_text(expert.title, 160)),
        ("department", fenced_text(expert.department, 120)),
        ("expertise", fenced_text("; ".join(expert.expertise[:15]), 240 if brief else 400)),
        ("bio", fenced_text(expert.bio, 280 if brief else 600)),
        ("matched_phrases", "; ".join(phrases[:8])),
    ]
    lines = "\n".join(f"{key}: {value}" for key, value in fields if value)
    return f"<profile_data>\n{lines}\n</profile_data>"


def fit_candidates(
    pools: Sequence[Sequence[tuple[ExpertProfile, Sequence[FieldEvidence]]]], budget: int
) -> list[list[ExpertProfile]]:
    """Each question's candidates, taken rank by rank across questions until the profile text fills `budget`.

    Going rank by rank keeps every question's best candidates in when the budget cuts the tail; a profile
    shared by several questions is shown once, so it costs its text only once.
    """
    shown: list[list[ExpertProfile]] = [[] for _ in pools]
    seen: set[str] = set()
    used = 0
    for depth in range(max((len(pool) for pool in pools), default=0)):
        for position, pool in enumerate(pools):
            if depth >= len(pool):
                continue
            profile = pool[depth][0]
            if profile.id not in seen:
                size = len(profile_block(profile, (), with_id=True, brief=True))
                if used + size > budget:
                    return shown
                used += size
                seen.add(profile.id)
            shown[position].append(profile)
    return shown


def check_safe(text: str, where: str) -> None:
    """Raise InvalidReply when model text holds a link, an address, a phone number, markup or a placeholder,
    as read once invisible characters are gone (a zero-width space inside a domain hides nothing)."""
    text = visible_text(text)
    for found, what in _UNSAFE:
        if found(text):
            raise InvalidReply(
                f"{where} contains {what}; write plain text without links, addresses or markup"
            )


def asks_for_credentials(text: str) -> bool:
    """Whether `text`, as read, asks its reader for a password, a code or other credentials."""
    return CREDENTIALS.search(visible_text(text)) is not None


def check_no_credentials(text: str, where: str) -> None:
    """Raise InvalidReply when a message asks its reader for a password, a code or other credentials."""
    if asks_for_credentials(text):
        raise InvalidReply(f"{where} asks for credentials; never ask anyone for passwords or codes")


def is_safe(text: str) -> bool:
    text = visible_text(text)
    return not any(found(text) for found, _ in _UNSAFE)


def unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        text = single_line(item)
        if text and text.casefold() not in seen:
            seen[text.casefold()] = text
    return list(seen.values())


def bullets(items: Iterable[str]) -> str:
    return "\n".join(f"- {fenced_text(item, MAX_WISH_CHARS)}" for item in items)


def numbered(items: Sequence[str]) -> str:
    return "\n".join(f"{i}. {fenced_text(item, MAX_WISH_CHARS)}" for i, item in enumerate(items, 1))
