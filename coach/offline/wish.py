"""Reading one piece of user text (a wish or a typed answer): subject, goal, role, facets and any own question."""

from __future__ import annotations

import re
from dataclasses import dataclass

from coach.clauses import is_direct_question
from coach.offline.bank import Goal
from coach.offline.lexicon import Lexicon
from coach.offline.phrases import as_typed, sentences, tidy_question, with_article
from coach.offline.rules import (
    BARE_ROLE,
    GOAL_RULES,
    I_AM_IN,
    LEADING_ROLE,
    NOT_KNOWING_HOW,
    QUESTION_START,
    QUESTION_SUBJECT,
    ROLE_RULES,
    SELF_HELP,
    SELF_QUESTION,
    WH_WORDS,
)
from coach.offline.subject import SubjectKind, is_role_noun
from coach.offline.subject_finder import (
    Subject,
    bare_subject,
    question_subject,
    subject_at,
    target_subject,
    thing_phrase,
)

_MAX_QUESTION_CHARS = 300
_MAX_FOCUS_CHARS = 200


@dataclass(frozen=True)
class TextReading:
    """What one text says; empty fields mean the text did not say."""

    domain: str = ""
    known_domain: bool = False
    base_domain: str = ""  # the known domain a more specific phrase extends ("hospital administration")
    kind: SubjectKind | None = None  # for a subject the lexicon does not know: what it is
    goal: Goal | None = None
    role: str = ""
    background: str = ""  # where the person comes from, for "which skills from {background} carry over"
    facets: tuple[str, ...] = ()
    question: str = ""  # the user's own question, tidied, kept as question 1
    focus: str = ""  # a specific thing to be walked through ("how the business makes money")


@dataclass(frozen=True)
class _Role:
    role: str = ""
    background: str = ""


@dataclass(frozen=True)
class _Goal:
    goal: Goal | None = None
    target: str = ""
    origin: str = ""
    names_role: bool = False


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the given spans blanked out (same length, so positions stay valid)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = [" "] * (end - start)
    return "".join(chars)


def _find_role(text: str, original: str, lexicon: Lexicon) -> tuple[_Role, list[tuple[int, int]]]:
    """The person's role as they typed it, and where it is in the normalised text."""
    for rule in ROLE_RULES:
        match = rule.pattern.search(text)
        if match:
            role = as_typed(original, re.sub(r"^(?:a|an)\s+", "", match.group("r").strip()))
            place = (
                f"my work {match.group('prep')} {role}"
                if rule.working
                else f"my work as {with_article(role)}"
            )
            return _Role(role, place), [match.span()]
    for match in BARE_ROLE.finditer(text):
        for words in (match.group("r"), match.group("r").split()[0]):
            if lexicon.is_role(words):
                span = (match.start(), match.start("r") + len(words))
                return _Role(words, f"my work as {with_article(words)}"), [span]
    placed = I_AM_IN.search(text)  # "I'm in HR and want to move into L&D"
    if placed:
        for words in (placed.group("r"), placed.group("r").split()[0]):
            if lexicon.names_domain(words):
                place = as_typed(original, words)
                return _Role(place, f"my work in {place}"), [(placed.start(), placed.start("r") + len(words))]
    leading = LEADING_ROLE.match(text)  # "teacher moving into L&D", "junior accountant, want to learn ..."
    group = "r" if leading and leading.group("r") else "r2"
    if leading and is_role_noun(leading.group(group).split()[-1], lexicon.role_nouns):
        role = as_typed(original, leading.group(group))
        return _Role(role, f"my work as {with_article(role)}"), [leading.span(group)]
    return _Role(), []


def _find_goal(text: str, subjects: list[tuple[int, int]]) -> _Goal:
    """The first goal rule that matches outside a known subject ("learning" in "machine learning" is no goal)."""
    for rule in GOAL_RULES:
        for match in rule.pattern.finditer(text):
            if any(start <= match.start() < end for start, end in subjects):
                continue
            groups = match.groupdict()
            target, origin = (groups.get("t") or "").strip(), (groups.get("from") or "").strip()
            if SELF_QUESTION.match(target):
                return _Goal()
            if rule.goal == "move into" and not origin:  # "get into cybersecurity from IT support"
                target, _, origin = target.partition(" from ")
            return _Goal(rule.goal, target.strip(), origin.strip(), rule.names_role)
    return _Goal()


def _user_question(original: str, lexicon: Lexicon) -> str:
    """The first sentence that is a real question for a colleague (not "how can I get better at X")."""
    for sentence in sentences(original):
        norm = lexicon.phrases.normalise(sentence)
        if (
            not (QUESTION_START.match(norm) or norm.endswith("?"))
            or len(norm.split()) < 3
            or SELF_HELP.search(norm)
        ):
            continue
        question = tidy_question(sentence)
        if 10 <= len(question) <= _MAX_QUESTION_CHARS and is_direct_question(question):
            return question
    return ""


def _embedded_question(original: str, lexicon: Lexicon) -> str:
    """A wish that is a question's clause, not a question ("how our pricing works", "how to negotiate")."""
    first = next(iter(sentences(original)), "")
    norm = lexicon.phrases.normalise(first).strip(" ?.!")
    words = norm.split()
    if len(words) >= 2 and words[0] in WH_WORDS and not is_direct_question(tidy_question(first)):
        return norm
    return ""


def read_text(text: str, lexicon: Lexicon) -> TextReading:
    """Read a wish or a typed answer: the role first (its words are not the subject), then goal and subject."""
    phrases = lexicon.phrases
    norm = NOT_KNOWING_HOW.sub("want to learn how", phrases.normalise(text))
    role, role_spans = _find_role(norm, text, lexicon)
    rest = _mask(norm, role_spans)
    found = _find_goal(rest, [(hit.start, hit.end) for hit in lexicon.domain_hits(rest)])
    question = _user_question(text, lexicon)
    embedded = "" if found.goal or question else _embedded_question(text, lexicon)
    if embedded:  # "how our pricing works": a wish to understand it
        found = _Goal("understand", embedded)
    goal = found.goal
    if found.origin:  # "move from support into product management": support is where they come from
        origin = as_typed(text, phrases.clean_phrase(found.origin) or found.origin)
        place = (
            f"my work as {with_article(origin)}"
            if origin.split()[-1].lower() in lexicon.role_nouns
            else origin
        )
        role = _Role(role.role or origin, place)
        at = rest.find(found.origin)
        rest = _mask(rest, [(at, at + len(found.origin))]) if at >= 0 else rest
    subject = target_subject(found.target, goal, found.names_role, lexicon) if found.target else Subject()
    if not subject.domain and not goal and not question and not role.role:
        subject = bare_subject(rest.strip(" .!?"), text, lexicon)
    domain, known = subject.domain, subject.known
    role_domain = lexicon.role_domain(role.role) if role.role else None
    if not domain and role_domain:  # "I'm a new manager, help": their own field, to get better at
        domain, known, goal = role_domain, True, goal or "get better at"
    kind = subject.kind
    if not domain:
        hit = lexicon.first_domain(rest)
        if hit and lexicon.is_thing(hit, rest):
            domain, kind, subject = thing_phrase(rest, hit, lexicon), "topic", Subject(base=hit.name)
        elif hit:  # a domain word in passing: the domain only if the phrase around it says so
            said = question_subject(phrases.normalise(question), lexicon) if question else ""
            subject = subject_at(rest, hit, goal, lexicon, said)
            domain, known, kind = subject.domain, subject.known, subject.kind
    if question and not domain:
        asked = QUESTION_SUBJECT.match(phrases.normalise(question))  # "how does the billing system work"
        domain, kind = (
            (asked.group("x") if asked else question_subject(phrases.normalise(question), lexicon)),
            "topic",
        )
    if not known and domain:
        shown = lexicon.display(as_typed(text, domain), text)
        domain = f"the {shown} role" if kind == "role" else shown
    # The subject's own name is no facet cue ("the finance team" is not a question about money), but the
    # rest of an alias is ("giving feedback" is about feedback).
    name_words = set(phrases.content_words(domain)) if known else set()
    named = [
        (h.start, h.end) for h in lexicon.domain_hits(rest) if set(rest[h.start : h.end].split()) & name_words
    ]
    if kind == "role":  # "tech lead" is not a cue for leading people
        named.append((0, len(rest)))
    return TextReading(
        domain=domain,
        known_domain=known,
        base_domain=subject.base,
        kind=kind if domain and not known else None,
        goal=goal,
        role=role.role,
        background=role.background,
        facets=tuple(lexicon.facets_in(_mask(rest, named))),
        question=question,
        focus=as_typed(text, subject.focus) if 0 < len(subject.focus) <= _MAX_FOCUS_CHARS else "",
    )
