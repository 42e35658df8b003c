"""Reading one piece of user text (a wish or a typed answer): subject, goal, role, facets and any own question."""

from __future__ import annotations

import re
from dataclasses import dataclass

from coach.offline.bank import Goal
from coach.offline.lexicon import Lexicon
from coach.offline.phrases import CLAUSE_END, as_typed, sentences, tidy_question, with_article
from coach.offline.rules import (
    BARE_ROLE,
    GOAL_RULES,
    NOT_KNOWING_HOW,
    QUESTION_OBJECT,
    QUESTION_START,
    QUESTION_TAIL,
    ROLE_RULES,
    SELF_HELP,
    SELF_QUESTION,
    WH_WORDS,
)

_MAX_QUESTION_CHARS = 300
_MAX_FOCUS_CHARS = 200


@dataclass(frozen=True)
class TextReading:
    """What one text says; empty fields mean the text did not say."""

    domain: str = ""
    known_domain: bool = False
    base_domain: str = ""  # the known domain a more specific phrase extends ("hospital administration")
    topic: bool = False  # the unknown domain was taken from a question ("royalties"), not named as a subject
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


@dataclass(frozen=True)
class _Subject:
    domain: str = ""
    known: bool = False
    focus: str = ""
    base: str = ""
    topic: bool = False


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
        if 10 <= len(question) <= _MAX_QUESTION_CHARS:
            return question
    return ""


def _tail_subject(question: str, lexicon: Lexicon) -> str:
    """For a question naming no known subject: the noun phrase after its last preposition, if it is one."""
    phrases = lexicon.phrases
    norm = phrases.normalise(question).strip(" ?")
    thing = QUESTION_OBJECT.match(norm)
    tails = QUESTION_TAIL.findall(norm)
    phrase = phrases.clean_phrase(thing.group("x") if thing else tails[-1] if tails else "")
    return phrase if phrases.names_a_subject(phrase) else ""


def _subject(target: str, goal: Goal | None, names_role: bool, lexicon: Lexicon) -> _Subject:
    """The subject a goal's target names: a known domain, an embedded question, or the user's own phrase."""
    cut = CLAUSE_END.search(target)
    clause = target[: cut.start() if cut else len(target)].strip()
    hit = lexicon.first_domain(target)
    if target.split()[0] in WH_WORDS:  # "understand how the business makes money"
        if hit:
            return _Subject(hit.name, True, clause)
        return _Subject(lexicon.phrases.noun_phrase(clause.split()[1:]), False, clause, topic=True)
    phrase = lexicon.phrases.clean_phrase(target)
    if hit and hit.start <= len(clause):
        words = lexicon.phrases.content_words
        extra = set(words(phrase)) - set(words(target[hit.start : hit.end]))
        if extra and goal == "understand":  # "the public sector procurement process": ask about it as said
            return _Subject(hit.name, True, re.sub(r"^(?:more\s+)?(?:about\s+)?", "", clause))
        if extra and len(extra) <= 2 and len(phrase.split()) <= 4:  # "move into hospital administration"
            return _Subject(phrase, False, base=hit.name)
        return _Subject(hit.name, True)
    if not phrase:
        return _Subject()
    if names_role:
        role_domain = lexicon.role_domain(phrase)
        if role_domain:
            return _Subject(role_domain, True)
        return _Subject(phrase if phrase.startswith("the ") else f"the {phrase} role")
    return _Subject(phrase)


def read_text(text: str, lexicon: Lexicon) -> TextReading:
    """Read a wish or a typed answer: the role first (its words are not the subject), then goal and subject."""
    phrases = lexicon.phrases
    norm = NOT_KNOWING_HOW.sub("want to learn how", phrases.normalise(text))
    role, role_spans = _find_role(norm, text, lexicon)
    rest = _mask(norm, role_spans)
    found = _find_goal(rest, [(hit.start, hit.end) for hit in lexicon.domain_hits(rest)])
    goal = found.goal
    if found.origin:  # "move from support into product management": support is where they come from
        origin = as_typed(text, phrases.clean_phrase(found.origin) or found.origin)
        role = _Role(role.role or origin, origin)
        at = rest.find(found.origin)
        rest = _mask(rest, [(at, at + len(found.origin))]) if at >= 0 else rest
    subject = _subject(found.target, goal, found.names_role, lexicon) if found.target else _Subject()
    domain, known, topic = subject.domain, subject.known, subject.topic
    role_domain = lexicon.role_domain(role.role) if role.role else None
    if not domain and role_domain:  # "I'm a new manager, help": their own field, to get better at
        domain, known, goal = role_domain, True, goal or "get better at"
    if not domain:
        hit = lexicon.first_domain(rest)
        domain, known = (hit.name, True) if hit else ("", False)
    question = _user_question(text, lexicon)
    if question and not domain:
        domain, topic = _tail_subject(question, lexicon), True
    return TextReading(
        domain=domain if known else lexicon.display(domain),
        known_domain=known,
        base_domain=subject.base,
        topic=topic and bool(domain) and not known,
        goal=goal,
        role=role.role,
        background=role.background,
        # The subject's own name is no facet cue: "the finance team" is not a question about money.
        facets=tuple(
            lexicon.facets_in(
                _mask(rest, [(h.start, h.end) for h in lexicon.domain_hits(rest) if h.name == domain])
            )
        ),
        question=question,
        focus=as_typed(text, subject.focus) if 0 < len(subject.focus) <= _MAX_FOCUS_CHARS else "",
    )
