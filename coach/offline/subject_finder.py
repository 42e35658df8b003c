"""Finding the subject a wish names, and what it is: a known domain, a role, a skill or a topic.

A goal's target ("move into hospital administration"), a bare phrase ("our data warehouse", "tech lead"),
an embedded question ("how our pricing works") or a question's own subject ("how does the billing system
work") each give a phrase; the lexicon says whether it is a known domain, and `subject.kind_of` what it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coach.offline.bank import Goal
from coach.offline.lexicon import Hit, Lexicon
from coach.offline.phrases import CLAUSE_END, as_typed, with_article
from coach.offline.rules import NOT_IN_A_SUBJECT, QUESTION_OBJECT, QUESTION_TAIL, UNSURE, WH_WORDS
from coach.offline.subject import SubjectKind, gerund, is_role_noun, kind_of

_OWNERS = frozenset({"the", "our", "my", "this", "their", "your"})
MAX_BARE_WORDS = 8  # a wish this short with no goal in it may be just its subject


@dataclass(frozen=True)
class Subject:
    domain: str = ""
    known: bool = False
    focus: str = ""
    base: str = ""
    kind: SubjectKind | None = None


def tail_subject(question: str, lexicon: Lexicon) -> str:
    """For a question naming no known subject: the noun phrase after its last preposition, if it is one."""
    phrases = lexicon.phrases
    norm = phrases.normalise(question).strip(" ?")
    thing = QUESTION_OBJECT.match(norm)
    tails = QUESTION_TAIL.findall(norm)
    phrase = phrases.clean_phrase(thing.group("x") if thing else tails[-1] if tails else "")
    return phrase if phrases.names_a_subject(phrase) else ""


def _role_subject(phrase: str, lexicon: Lexicon) -> Subject:
    """A role the person wants: its domain when the lexicon knows it ("product manager"), else the role;
    a person-noun that is no job ("a better listener") is a skill: "being a listener"."""
    known = lexicon.role_domain(phrase)
    if known:
        return Subject(known, True)
    name = phrase.removeprefix("the ").removesuffix(" role")
    if not name:
        return Subject()
    if not is_role_noun(name.split()[-1], lexicon.role_nouns) and not (
        len(name.split()) > 2 and " of " in name
    ):
        return Subject(f"being {with_article(name)}", kind="skill")
    return Subject(name, kind="role")


def thing_phrase(text: str, hit: Hit, lexicon: Lexicon) -> str:
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


def target_subject(target: str, goal: Goal | None, names_role: bool, lexicon: Lexicon) -> Subject:
    """The subject a goal's target names: a known domain, an embedded question, a role, or the user's phrase."""
    phrases = lexicon.phrases
    cut = CLAUSE_END.search(target)
    clause = target[: cut.start() if cut else len(target)].strip()
    hit = lexicon.first_domain(target)
    if target.split()[0] in WH_WORDS:  # "understand how the business makes money"
        if hit and not lexicon.is_thing(hit, target):
            return Subject(hit.name, True, clause)
        rest = clause.split()[1:]
        if rest[:1] == ["to"] and len(rest) > 1:  # "how to negotiate": a skill, "negotiating"
            return Subject(" ".join([gerund(rest[1]), *rest[2:5]]), False, clause, kind="skill")
        thing = _owned(" ".join(rest), phrases.noun_phrase(rest)) if phrases.noun_phrase(rest) else ""
        return Subject(thing, False, clause, base=hit.name if hit else "", kind="topic")
    phrase = phrases.clean_phrase(target)
    if names_role and phrase and not (hit and lexicon.names_domain(phrase) == hit.name):
        return _role_subject(phrase, lexicon)
    if hit and hit.start <= len(clause):
        if lexicon.is_thing(hit, target):  # "our data warehouse" is one thing, not data engineering
            return Subject(thing_phrase(target, hit, lexicon), base=hit.name, kind="topic")
        words = phrases.content_words
        extra = set(words(phrase)) - set(words(target[hit.start : hit.end]))
        if extra and goal == "understand":  # "the public sector procurement process": ask about it as said
            return Subject(hit.name, True, re.sub(r"^(?:more\s+)?(?:about\s+)?", "", clause))
        if extra and len(extra) <= 2 and len(phrase.split()) <= 4:  # "move into hospital administration"
            return Subject(phrase, False, base=hit.name, kind=_kind(phrase, goal, hit, lexicon))
        return Subject(hit.name, True)
    if not phrase:
        return Subject()
    kind = kind_of(phrase, goal, lexicon.role_nouns, lexicon.field_words)
    if kind in ("topic", "skill"):
        phrase = _owned(target, phrase)
        kind = kind_of(phrase, goal, lexicon.role_nouns, lexicon.field_words) if kind == "topic" else kind
    return Subject(phrase, kind=kind)


def bare_subject(norm: str, original: str, lexicon: Lexicon) -> Subject:
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
        return Subject()
    # "everything about the company" names the business; "costumer support" is customer support
    known = (
        lexicon.names_domain(phrase) or lexicon.names_domain(f"the {phrase}") or lexicon.close_domain(phrase)
    )
    if known:
        return Subject(known, True)
    hit = lexicon.first_domain(phrase)
    if hit and lexicon.is_thing(hit, phrase):
        return Subject(
            thing_phrase(norm, lexicon.first_domain(norm) or hit, lexicon), base=hit.name, kind="topic"
        )
    kind = _kind(phrase, None, hit, lexicon)
    if kind == "role":
        return _role_subject(phrase, lexicon)
    phrase = _owned(norm, phrase)  # "the new CRM migration": the person's own words, article and all
    return Subject(phrase, base=hit.name if hit else "", kind=_kind(phrase, None, hit, lexicon))


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
