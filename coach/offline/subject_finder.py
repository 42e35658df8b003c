"""Finding the subject a wish names, and what it is: a known domain, a role, a skill or a topic.

A goal's target ("move into hospital administration"), a bare phrase ("our data warehouse", "tech lead"),
an embedded question ("how our pricing works") or a question's own subject ("how does the billing system
work") each give a phrase; the lexicon says whether it is a known domain, and `subject.kind_of` what it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal

from coach.offline.bank import Goal
from coach.offline.lexicon import Hit, Lexicon
from coach.offline.phrases import CLAUSE_END, as_typed, with_article
from coach.offline.rules import NOT_IN_A_SUBJECT, QUESTION_OBJECT, QUESTION_TAIL, UNSURE, WH_WORDS
from coach.offline.subject import SubjectKind, gerund, is_role_noun, kind_of

_OWNERS = frozenset({"the", "our", "my", "this", "their", "your"})
_PREPOSITIONS = frozenset(
    {"of", "for", "in", "on", "at", "with", "about", "to", "from", "by", "into", "around"}
)
MAX_BARE_WORDS = 8  # a wish this short with no goal in it may be just its subject
_SIDE_WORDS = 3  # how far a noun phrase reaches either side of a domain word
# How strongly a noun phrase is about the domain it mentions (see `weigh`).
Evidence = Literal["strong", "modifier", "head"]


@dataclass(frozen=True)
class Subject:
    domain: str = ""
    known: bool = False
    focus: str = ""
    base: str = ""
    kind: SubjectKind | None = None


def weigh(phrase: str, lexicon: Lexicon) -> tuple[Hit | None, Evidence]:
    """The domain a noun phrase mentions, and how strongly the phrase is about it.

    "strong": the phrase is the domain, says it with the domain's own phrase of two or more words ("business
    development", "machine learning in production"), or adds only words the lexicon uses for that domain; the
    known domain may then stand for the phrase. "modifier": one word of a domain narrows a head the domain does
    not know ("hospital administration"): the person's phrase stays, searched with the domain's words too.
    "head": one word of a domain is itself narrowed by words the domain does not know ("satellite orbit
    design", "deep sea fisheries management", "design of satellite orbits"): one generic word is no evidence
    of the domain, so the person's phrase stays as said and the search and fit decide who knows it."""
    hit = lexicon.first_domain(phrase)
    if hit is None:
        return None, "strong"
    content = lexicon.phrases.content_words
    own = set(content(phrase[hit.start : hit.end])) | lexicon.words_of(hit.name)
    # An everyday word for a thing of the domain ("a true-life book") is evidence whatever narrows it; only
    # a field's name used as one word ("design", "management") has other senses.
    weak = lexicon.is_weak(phrase[hit.start : hit.end])
    if weak or all(word in own for word in content(phrase)) or lexicon.alias_words(hit, phrase) > 1:
        return hit, "strong"
    after = re.findall(r"[\w&'-]+", phrase[hit.end :])
    if not after or after[0] in lexicon.phrases.words.stopwords | _PREPOSITIONS:
        return hit, "head"
    # "banking regulation", "marketing budgets": the domain narrowed to a side the coach knows (a facet)
    understood = all(word in own for word in content(lexicon.without_cues(phrase)))
    return hit, "strong" if understood else "modifier"


def phrase_around(text: str, hit: Hit, lexicon: Lexicon) -> str:
    """The domain word with the words that narrow it from the left: up to three words that are not function
    words or adverbs ("how is satellite orbit design done" -> "satellite orbit design"). Words after it are
    left out: in running text they are as often a verb ("does leadership care about") as a noun."""
    words = lexicon.phrases.words
    stops = words.stopwords | words.determiners | words.not_subjects | words.vague | NOT_IN_A_SUBJECT
    left: list[str] = []
    for token in re.findall(r"[\w&'-]+|[^\w\s]", text[: hit.start])[::-1][:_SIDE_WORDS]:
        if token in stops or token.endswith("ly") or not re.fullmatch(r"[\w&][\w&'-]*", token):
            break
        left.insert(0, token)
    return " ".join([*left, text[hit.start : hit.end]])


def _is_participle(word: str) -> bool:
    """ "licensed", "tested": a verb's past participle ends the noun phrase before it."""
    return len(word) > 4 and word.endswith("ed")


def subject_at(text: str, hit: Hit, goal: Goal | None, lexicon: Lexicon, asked: str = "") -> Subject:
    """The subject a domain word in running text stands for: the known domain when the phrase around it is
    strong evidence of it, else the person's own noun phrase (see `weigh`). `asked` is what the person's own
    question asks about ("our data privacy"), the best phrase when the domain word is in it."""
    clean = lexicon.phrases.clean_phrase
    inside = asked and re.search(rf"(?<![\w-]){re.escape(text[hit.start : hit.end])}(?![\w-])", asked)
    phrase = clean(asked) if inside else clean(phrase_around(text, hit, lexicon))
    found, evidence = weigh(phrase, lexicon) if phrase else (None, "strong")
    if found is None or evidence == "strong":
        return Subject(hit.name, True)
    return _as_said(phrase, found, evidence, goal, lexicon)


def _as_said(phrase: str, hit: Hit, evidence: Evidence, goal: Goal | None, lexicon: Lexicon) -> Subject:
    """A phrase kept as the person said it; a domain word that only narrows it lends the domain's words."""
    base = hit if evidence == "modifier" else None
    return Subject(phrase, base=base.name if base else "", kind=_kind(phrase, goal, base, lexicon))


def question_subject(norm: str, lexicon: Lexicon) -> str:
    """What a question without a known subject asks about: the noun phrase after its question word and verb
    ("how do nuclear reactors get licensed" -> "nuclear reactors"), else the phrase after its last preposition."""
    asked = re.match(
        rf"^(?:{'|'.join(WH_WORDS)})\s+(?P<aux>{'|'.join(_AUX)})\s+(?P<x>[^,;:]+)", norm.strip(" ?")
    )
    if asked:
        words = asked.group("x").split()
        if asked.group("aux") in _PLURAL_AUX:  # "how do warehouses handle returns": a plural noun ends it
            end = next((i for i, w in enumerate(words) if re.fullmatch(r"[a-z]{3,}[^s]s", w)), len(words))
            words = words[: end + 1]
        head, _, rest = " ".join(words).partition(" of ")  # "the price of paper": both sides
        phrase = lexicon.phrases.noun_phrase(head.split())
        whole = [w for w in head.split() if w not in lexicon.phrases.words.determiners] == phrase.split()
        of = lexicon.phrases.noun_phrase(rest.split()) if whole and rest else ""
        phrase = f"{phrase} of {of}" if of else phrase
        trimmed = phrase.split()
        if len(trimmed) > 1 and _is_participle(trimmed[-1]):
            phrase = " ".join(trimmed[:-1])
        if phrase and lexicon.phrases.names_a_subject(phrase) and not is_vague(phrase, lexicon):
            return _owned(asked.group("x"), phrase)
    return tail_subject(norm, lexicon)


_AUX = ("does", "do", "did", "is", "are", "was", "were", "can", "could", "should", "would", "will")
_PLURAL_AUX = frozenset({"do", "are", "were"})  # their subject is plural


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
        rest = clause.split()[1:]
        named = phrases.noun_phrase(rest)
        found, evidence = weigh(named, lexicon) if named else (None, "strong")
        if found and evidence != "strong":  # "how satellite orbit design works": not UX design
            return replace(
                _as_said(_owned(" ".join(rest), named), found, evidence, "understand", lexicon), focus=clause
            )
        if hit and not lexicon.is_thing(hit, target):
            return Subject(hit.name, True, clause)
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
        found, evidence = weigh(phrase, lexicon) if phrase else (None, "strong")
        if found and evidence != "strong":  # "satellite orbit design" is not UX design
            return _as_said(_owned(target, phrase), found, evidence, goal, lexicon)
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
    if hit and weigh(phrase, lexicon)[1] == "head":  # "semiconductor chip design" lends nothing of UX design
        hit = None
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
