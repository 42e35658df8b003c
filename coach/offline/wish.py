"""Reading one piece of user text (a wish or a typed answer): subject, goal, role, facets and any own question."""

from __future__ import annotations

import re
from dataclasses import dataclass

from coach.clauses import is_direct_question
from coach.offline.bank import Goal
from coach.offline.lexicon import Hit, Lexicon
from coach.offline.phrases import CLAUSE_END, as_typed, sentences, tidy_question, with_article
from coach.offline.rules import (
    BARE_ROLE,
    GOAL_RULES,
    I_AM_IN,
    LEADING_ROLE,
    NOT_IN_A_SUBJECT,
    NOT_KNOWING_HOW,
    QUESTION_OBJECT,
    QUESTION_START,
    QUESTION_SUBJECT,
    QUESTION_TAIL,
    ROLE_RULES,
    SELF_HELP,
    SELF_QUESTION,
    UNSURE,
    WH_WORDS,
)
from coach.offline.subject import SubjectKind, gerund, is_role_noun, kind_of

_MAX_QUESTION_CHARS = 300
_MAX_FOCUS_CHARS = 200
_OWNERS = frozenset({"the", "our", "my", "this", "their", "your"})
MAX_BARE_WORDS = 8  # a wish this short with no goal in it may be just its subject


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


@dataclass(frozen=True)
class _Subject:
    domain: str = ""
    known: bool = False
    focus: str = ""
    base: str = ""
    kind: SubjectKind | None = None


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


def _tail_subject(question: str, lexicon: Lexicon) -> str:
    """For a question naming no known subject: the noun phrase after its last preposition, if it is one."""
    phrases = lexicon.phrases
    norm = phrases.normalise(question).strip(" ?")
    thing = QUESTION_OBJECT.match(norm)
    tails = QUESTION_TAIL.findall(norm)
    phrase = phrases.clean_phrase(thing.group("x") if thing else tails[-1] if tails else "")
    return phrase if phrases.names_a_subject(phrase) else ""


def _role_subject(phrase: str, lexicon: Lexicon) -> _Subject:
    """A role the person wants: its domain when the lexicon knows it ("product manager"), else the role;
    a person-noun that is no job ("a better listener") is a skill: "being a listener"."""
    known = lexicon.role_domain(phrase)
    if known:
        return _Subject(known, True)
    name = phrase.removeprefix("the ").removesuffix(" role")
    if not name:
        return _Subject()
    if not is_role_noun(name.split()[-1], lexicon.role_nouns) and not (
        len(name.split()) > 2 and " of " in name
    ):
        return _Subject(f"being {with_article(name)}", kind="skill")
    return _Subject(name, kind="role")


def _thing_phrase(text: str, hit: Hit, lexicon: Lexicon) -> str:
    """The noun phrase around a thing alias: "who owns the data warehouse roadmap" -> "the data warehouse roadmap"."""
    words = lexicon.phrases.words
    before = text[: hit.start].split()
    owner = before[-1] if before and before[-1] in _OWNERS else ""
    after: list[str] = []
    for word in re.findall(r"[\w&'-]+", text[hit.end :])[:2]:
        if word in words.stopwords or word in words.determiners or word in words.not_subjects:
            break
        after.append(word)
    return " ".join(filter(None, [owner, text[hit.start : hit.end], *after]))


def _subject(target: str, goal: Goal | None, names_role: bool, lexicon: Lexicon) -> _Subject:
    """The subject a goal's target names: a known domain, an embedded question, a role, or the user's phrase."""
    phrases = lexicon.phrases
    cut = CLAUSE_END.search(target)
    clause = target[: cut.start() if cut else len(target)].strip()
    hit = lexicon.first_domain(target)
    if target.split()[0] in WH_WORDS:  # "understand how the business makes money"
        if hit and not lexicon.is_thing(hit, target):
            return _Subject(hit.name, True, clause)
        rest = clause.split()[1:]
        if rest[:1] == ["to"] and len(rest) > 1:  # "how to negotiate": a skill, "negotiating"
            return _Subject(" ".join([gerund(rest[1]), *rest[2:5]]), False, clause, kind="skill")
        thing = _owned(" ".join(rest), phrases.noun_phrase(rest)) if phrases.noun_phrase(rest) else ""
        return _Subject(thing, False, clause, base=hit.name if hit else "", kind="topic")
    phrase = phrases.clean_phrase(target)
    if names_role and phrase and not (hit and lexicon.names_domain(phrase) == hit.name):
        return _role_subject(phrase, lexicon)
    if hit and hit.start <= len(clause):
        if lexicon.is_thing(hit, target):  # "our data warehouse" is one thing, not data engineering
            return _Subject(_thing_phrase(target, hit, lexicon), base=hit.name, kind="topic")
        words = phrases.content_words
        extra = set(words(phrase)) - set(words(target[hit.start : hit.end]))
        if extra and goal == "understand":  # "the public sector procurement process": ask about it as said
            return _Subject(hit.name, True, re.sub(r"^(?:more\s+)?(?:about\s+)?", "", clause))
        if extra and len(extra) <= 2 and len(phrase.split()) <= 4:  # "move into hospital administration"
            return _Subject(phrase, False, base=hit.name, kind=_kind(phrase, goal, hit, lexicon))
        return _Subject(hit.name, True)
    if not phrase:
        return _Subject()
    kind = kind_of(phrase, goal, lexicon.role_nouns, lexicon.field_words)
    if kind in ("topic", "skill"):
        phrase = _owned(target, phrase)
        kind = kind_of(phrase, goal, lexicon.role_nouns, lexicon.field_words) if kind == "topic" else kind
    return _Subject(phrase, kind=kind)


def _bare_subject(norm: str, original: str, lexicon: Lexicon) -> _Subject:
    """A wish that is just a subject ("data engineering", "our data warehouse", "tech lead", "GDPR")."""
    phrases = lexicon.phrases
    phrase = phrases.clean_phrase(norm)
    words = phrase.split()
    typed = as_typed(original, phrase)
    if (
        not phrase
        or len(norm.split()) > MAX_BARE_WORDS
        or any(w in NOT_IN_A_SUBJECT for w in words)
        or UNSURE.search(phrase)
        or is_vague(phrase, lexicon)
        or not lexicon.vocabulary.reads_as_english(typed)
        or (len(words) == 1 and len(phrase) < 5 and not typed.isupper() and not lexicon.knows_phrase(phrase))
    ):
        return _Subject()
    # "everything about the company" names the business; "costumer support" is customer support
    known = (
        lexicon.names_domain(phrase) or lexicon.names_domain(f"the {phrase}") or lexicon.close_domain(phrase)
    )
    if known:
        return _Subject(known, True)
    hit = lexicon.first_domain(phrase)
    if hit and lexicon.is_thing(hit, phrase):
        return _Subject(
            _thing_phrase(norm, lexicon.first_domain(norm) or hit, lexicon), base=hit.name, kind="topic"
        )
    kind = _kind(phrase, None, hit, lexicon)
    if kind == "role":
        return _role_subject(phrase, lexicon)
    phrase = _owned(norm, phrase)  # "the new CRM migration": the person's own words, article and all
    return _Subject(phrase, base=hit.name if hit else "", kind=_kind(phrase, None, hit, lexicon))


def _owned(raw: str, phrase: str) -> str:
    """The phrase with the owner the person gave it ("the new CRM migration", "our onboarding process")."""
    owner = re.match(
        r"^(?:(?:about|of|on|with|into|more|everything|anything|all|stuff|a bit|a little)\s+)*"
        r"(?P<o>the|our|my|this|their)\s+",
        raw,
    )
    if owner and not phrase.startswith(owner.group("o") + " "):
        return f"{owner.group('o')} {phrase}"
    return phrase


def _kind(phrase: str, goal: Goal | None, base: Hit | None, lexicon: Lexicon) -> SubjectKind:
    """What an unknown phrase is; a phrase extending a skill ("Excel pivot tables") is a skill too."""
    kind = kind_of(phrase, goal, lexicon.role_nouns, lexicon.field_words)
    if base and lexicon.kinds[base.name] == "skill" and kind == "topic" and phrase.split()[0] not in _OWNERS:
        return "skill"
    return kind


def is_vague(phrase: str, lexicon: Lexicon) -> bool:
    """Whether a phrase names nothing to learn about ("anything really", "career advice", "my skills")."""
    words = lexicon.phrases.words
    content = lexicon.phrases.content_words(phrase)
    return phrase in words.vague or not content or all(w in words.vague for w in content)


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
    subject = _subject(found.target, goal, found.names_role, lexicon) if found.target else _Subject()
    if not subject.domain and not goal and not question and not role.role:
        subject = _bare_subject(rest.strip(" .!?"), text, lexicon)
    domain, known = subject.domain, subject.known
    role_domain = lexicon.role_domain(role.role) if role.role else None
    if not domain and role_domain:  # "I'm a new manager, help": their own field, to get better at
        domain, known, goal = role_domain, True, goal or "get better at"
    kind = subject.kind
    if not domain:
        hit = lexicon.first_domain(rest)
        if hit and lexicon.is_thing(hit, rest):
            domain, kind, subject = _thing_phrase(rest, hit, lexicon), "topic", _Subject(base=hit.name)
        else:
            domain, known = (hit.name, True) if hit else ("", False)
    if question and not domain:
        asked = QUESTION_SUBJECT.match(phrases.normalise(question))  # "how does the billing system work"
        domain, kind = (asked.group("x") if asked else _tail_subject(question, lexicon)), "topic"
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
