"""Reading one piece of user text (a wish or a free answer) with explainable rules: subject, goal, role, facets."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from coach.lexicon import Lexicon
from coach.question_bank import Goal

# Misspellings of the filler and goal words people type in a hurry or in a second language.
SPELLING = {
    "mentro": "mentor", "mentoor": "mentor", "metor": "mentor", "mentr": "mentor", "menter": "mentor",
    "undrestand": "understand", "understnad": "understand", "understant": "understand", "undestand": "understand",
    "unerstand": "understand", "uderstand": "understand", "undersand": "understand", "understad": "understand",
    "lern": "learn", "leran": "learn", "lear": "learn", "lerning": "learning", "learnig": "learning",
    "wnat": "want", "wnt": "want", "whant": "want", "wan": "want", "wanna": "want to", "wana": "want to",
    "gonna": "going to", "becom": "become", "bcome": "become", "beter": "better", "bettr": "better",
    "knwo": "know", "improv": "improve", "imporve": "improve", "improove": "improve", "pls": "please",
    "plz": "please", "im": "i'm", "iam": "i am", "u": "you", "abt": "about", "abut": "about", "teh": "the",
    "managment": "management", "mangement": "management", "managemnt": "management", "manger": "manager",
    "leadrship": "leadership", "leadersip": "leadership", "leadreship": "leadership", "publising": "publishing",
    "publishng": "publishing", "carrer": "career", "carreer": "career", "creer": "career", "intrested": "interested",
    "interrested": "interested", "hlep": "help", "advise": "advice", "swich": "switch", "swtich": "switch",
    "trasition": "transition", "moev": "move", "strat": "start", "begining": "beginning", "reall": "really",
}
_FUZZY_WORDS = ["understand", "management", "mentorship"]  # long words with no real-word neighbours
WH_WORDS = frozenset(["how", "what", "why", "when", "where", "which", "who", "whom", "whose"])
_QUESTION_START = re.compile(r"^(?:how|what|why|when|where|which|who|whose|is|are|can|could|should|would|do|does|did)\b")
_SELF_HELP = re.compile(
    r"\b(?:help me|mentor|how (?:do|can|should|could) i (?:start|begin|grow|learn|improve|get|become|move|switch|find)"
    r"|how i can|where (?:do|should) i (?:start|begin))\b"
)
_END = r"\s+(?:and|but|so|because|since|while|where|which|who|looking|trying|wanting|hoping)\b|[,.;!?]|$"
_STOP = f"(?={_END})"
_STOP_PREP = rf"(?=\s+(?:at|in|on|for|with|from|i)\b|{_END})"
_ROLE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\bi(?:'m| am)?\s+(?:currently\s+|now\s+)?(?:work|working)\s+(?P<prep>on|in|at|for)\s+(?P<r>[^,.;!?]+?){_STOP}"), "work"),
    (re.compile(rf"\bi\s+work\s+as\s+(?:a\s+|an\s+)?(?P<r>[^,.;!?]+?){_STOP}"), "as"),
    (re.compile(rf"\bi(?:'m| am)\s+(?:currently\s+|now\s+|just\s+|still\s+)?(?:a|an)\s+(?P<r>[^,.;!?]+?){_STOP_PREP}"), "as"),
    (re.compile(rf"\bi(?:'m| am)\s+(?!new to\b)(?P<r>(?:new|junior|senior|first[- ]time)\s+[^,.;!?]+?){_STOP_PREP}"), "as"),
    (re.compile(rf"\bas\s+(?:a|an)\s+(?P<r>[^,.;!?]+?){_STOP_PREP}"), "as"),
    (re.compile(rf"\bmy (?:role|job|position) is\s+(?:a\s+|an\s+)?(?P<r>[^,.;!?]+?){_STOP}"), "as"),
]
_BARE_ROLE = re.compile(r"\bi(?:'m| am)\s+(?:currently\s+|now\s+|just\s+)?(?P<r>[a-z-]+(?:\s+[a-z-]+)?)")
_T = r"(?P<t>[^.!?;]*)"
_FROM = r"(?:from\s+(?P<from>[^.!?;]+?)\s+)?"
# (goal or None for "mentor in X", pattern, whether the target names a role rather than a subject)
_GOAL_PATTERNS: list[tuple[Goal | None, re.Pattern[str], bool]] = [
    ("get better at", re.compile(r"\b(?:get|getting|be|being|become|becoming)\s+(?:better|good|great|stronger|more confident)\s+(?:at|in|with)\s+" + _T), False),
    ("get better at", re.compile(r"\b(?:be|being|become|becoming)\s+(?:a\s+|an\s+)?(?:better|good|great|stronger|more effective)\s+" + _T), True),
    ("move into", re.compile(r"\b(?:move|moving|switch|switching|transition|transitioning|pivot|pivoting|shift|shifting|change|changing|step|stepping)\s+(?:my\s+)?(?:careers?\s+|jobs?\s+|roles?\s+|teams?\s+)?" + _FROM + r"(?:in)?to\s+(?:a\s+|an\s+|the\s+)?(?:career\s+in\s+|role\s+in\s+|job\s+in\s+|position\s+in\s+)?" + _T), False),
    ("move into", re.compile(r"\b(?:get|getting|go|going|break|breaking|grow|growing)\s+" + _FROM + r"in(?:to|\s+to)\s+" + _T), False),
    ("move into", re.compile(r"\bcareer\s+(?:change|switch|move)\s+(?:in)?to\s+" + _T), False),
    ("move into", re.compile(r"\b(?:a\s+)?career\s+in\s+" + _T), False),
    ("move into", re.compile(r"\b(?:become|becoming)\s+(?:a\s+|an\s+)?" + _T), True),
    ("move into", re.compile(r"\b(?:be|being)\s+(?:a|an)\s+" + _T), True),
    ("get better at", re.compile(r"\b(?:improve|improving|strengthen|strengthening|sharpen|sharpening|level\s+up|upskill|upskilling|master|mastering|polish|work\s+on|develop\s+my|build\s+my|grow\s+my|better\s+at|better\s+in)\s+" + _T), False),
    ("start doing", re.compile(r"\b(?:start|starting|begin|beginning|get\s+started|getting\s+started|kick\s+off|set\s+up|setting\s+up)\b\s*(?:with\s+|in\s+|on\s+|doing\s+|using\s+|learning\s+|to\s+learn\s+|to\s+use\s+|to\s+do\s+)?" + _T), False),
    ("start doing", re.compile(r"\bnew\s+to\s+" + _T), False),
    # "learn python" is starting out; "learn about publishing" / "learn how X works" is understanding.
    ("start doing", re.compile(r"\b(?:learn|study)\s+(?!about\b|more\b|how\b|what\b|why\b|who\b|where\b|which\b|when\b)" + _T), False),
    ("understand", re.compile(r"\b(?:understand|understanding|learn|learning|know|knowing|figure\s+out|make\s+sense\s+of|get\s+my\s+head\s+around|explore|exploring|study|studying|discover|curious\s+about|interested\s+in|dig\s+into|read\s+up\s+on|get\s+to\s+know|find\s+out|insights?\s+into|familiar\s+with|familiari[sz]e\s+myself\s+with)\s+(?:more\s+|a\s+bit\s+|a\s+little\s+|the\s+basics\s+of\s+|basics\s+of\s+|something\s+|everything\s+)?(?:about\s+|of\s+|on\s+)?" + _T), False),
    (None, re.compile(r"\b(?:mentor|mentoring|mentorship|coach|coaching|guidance|advice|help|tips|someone)\s+(?:me\s+)?(?:in|on|for|with|about|around|regarding|who\s+knows)\s+" + _T), False),
    (None, re.compile(r"(?P<t>(?:[\w&/'-]+\s+){1,3}?)(?:mentor|mentorship|coach|expert)s?\b"), False),
]
# "I don't know how to give feedback" is a wish to learn it.
_NOT_KNOWING = re.compile(r"\b(?:don't know|do not know|dont know|not sure|no idea|unsure) how\b")
_CUT = re.compile(
    r"[,.;!?]|\s(?:and|but|because|since|so|as|while|when|where|which|who|that|then|or|please|thanks|thank you|"
    r"if|before|after|like|for|to help|to get|to be|to become|to see|to do|to make|so that)\b"
)
_LEAD_FILLER = re.compile(r"^(?:the|a|an|my|our|some|more|about|of|on|in|into|to|with|really|better|properly|deeply|deeper|basics|stuff|i want|i need|i'd like|want|need|find|looking for|get|have|using|use|doing|do)\s+")
_TRAIL_FILLER = re.compile(
    r"\s+(?:better|more|please|too|also|well|stuff|things|side|world|area|field|space|topic|subject|now|asap|soon|"
    r"here|properly|quickly|fast|today|first|deeply|in general|in depth|at work|for work|at my job|in my job|in my role|"
    r"in my company|at my company|in the company|one day|someday|eventually|a bit|a little|role|position|job|help|"
    r"business|industry|sector|market|division|department|team|teams|function|group|unit|skills|skill)$"
)
_VAGUE = frozenset(
    ["", "it", "this", "that", "things", "something", "everything", "anything", "stuff", "me", "myself", "more",
     "it all", "my job", "my work", "my skills", "skills", "job", "work", "grow", "mentor", "a mentor", "advice",
     "help", "someone", "somebody", "things better", "new things", "a lot", "how", "what", "i want", "i need", "need",
     "people", "life", "my life", "career", "a career", "the next level", "next level"]
)
_MAX_DOMAIN_WORDS = 6
_DETERMINERS = frozenset(["the", "a", "an", "our", "my", "your", "their", "its", "this", "that", "these", "those", "do", "does", "did", "is", "are", "was", "were", "to"])
_STOPWORDS = frozenset(
    ["a", "an", "the", "and", "or", "but", "of", "in", "on", "at", "for", "to", "from", "with", "about", "into", "by", "as", "is", "are", "was", "were", "be", "been", "being", "do", "does", "did", "how", "what", "why", "when", "where", "which", "who", "whom", "whose", "can", "could", "should", "would", "will", "shall", "may", "might", "must", "i", "me", "my", "we", "our", "you", "your", "it", "its", "they", "them", "their", "this", "that", "these", "those", "there", "here", "get", "gets", "got", "make", "makes", "made", "work", "works", "really", "very", "much", "many", "more", "most", "some", "any", "good", "best", "better", "new", "first", "walk", "through", "matter", "want", "know", "learn", "understand", "like", "need", "help", "please", "mentor"]
)


@dataclass(frozen=True)
class TextReading:
    """What one text says; empty fields mean the text did not say."""

    domain: str = ""
    known_domain: bool = False
    base_domain: str = ""  # the known domain an unknown, more specific phrase extends ("hospital administration")
    topic: bool = False  # the unknown domain was taken from a question ("royalties"), not named as a subject
    goal: Goal | None = None
    role: str = ""
    background: str = ""
    facets: tuple[str, ...] = ()
    question: str = ""
    focus: str = ""


def normalise(text: str) -> str:
    """Lower case, straight quotes, fixed filler typos, single spaces; punctuation kept for clause limits."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"').lower()
    text = re.sub(r"\bi m\b", "i'm", text)

    def fix(match: re.Match[str]) -> str:
        word = match.group()
        if word in SPELLING:
            return SPELLING[word]
        if len(word) >= 8:
            close = difflib.get_close_matches(word, _FUZZY_WORDS, n=1, cutoff=0.85)
            return close[0] if close else word
        return word

    return " ".join(re.sub(r"[a-z']+", fix, text).split())


def sentences(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"(?<=[.!?;])\s+|\n+", text) if part.strip()]


def tidy_question(sentence: str) -> str:
    """A user's sentence as a question: single spaces, capital first letter, "I" capitalised, one '?'."""
    text = " ".join(sentence.split()).strip(" .!?;,")
    text = re.sub(r"\bi\b", "I", text)
    return text[:1].upper() + text[1:] + "?" if text else ""


def content_words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9&][a-z0-9&'-]*", text.lower()) if w not in _STOPWORDS and len(w) > 2]


def clean_phrase(raw: str) -> str:
    """The subject phrase at the start of `raw`, without connectors and filler ("the cloud, please" -> "cloud")."""
    cut = _CUT.search(raw)
    phrase = raw[: cut.start()] if cut else raw
    phrase = " ".join(phrase.split())
    for pattern in (_LEAD_FILLER, _TRAIL_FILLER):
        previous = None
        while previous != phrase:
            previous, phrase = phrase, pattern.sub("", phrase).strip()
    words = phrase.split()
    if len(words) > _MAX_DOMAIN_WORDS:
        words = words[:_MAX_DOMAIN_WORDS]
    phrase = " ".join(words).strip(" '\"-")
    if phrase in _VAGUE or re.search(r"(?:^|\s)i(?:'m|'d)?(?:\s|$)", phrase) or not content_words(phrase):
        return ""
    return phrase


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the given spans blanked out (same length, so positions stay valid)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = [" "] * (end - start)
    return "".join(chars)


@dataclass(frozen=True)
class _Role:
    role: str = ""
    background: str = ""


def _with_article(noun: str) -> str:
    return f"{'an' if noun[:1] in 'aeiou' else 'a'} {noun}"


def _find_role(text: str, lexicon: Lexicon) -> tuple[_Role, list[tuple[int, int]]]:
    for pattern, kind in _ROLE_PATTERNS:
        match = pattern.search(text)
        if match:
            role = re.sub(r"^(?:a|an)\s+", "", match.group("r").strip())
            background = f"my work {match.group('prep')} {role}" if kind == "work" else f"my work as {_with_article(role)}"
            return _Role(role, background), [match.span()]
    # "i am nurse": no article, so only a known role word counts.
    for match in _BARE_ROLE.finditer(text):
        for words in (match.group("r"), match.group("r").split()[0]):
            if lexicon.is_role(words):
                return _Role(words, f"my work as {_with_article(words)}"), [(match.start(), match.start("r") + len(words))]
    return _Role(), []


def _find_goal(text: str, protected: list[tuple[int, int]]) -> tuple[Goal | None, str, str, bool, bool]:
    """(goal, raw target, from-phrase, target names a role, any pattern matched) for the best goal pattern."""
    for goal, pattern, role_target in _GOAL_PATTERNS:
        for match in pattern.finditer(text):
            if any(start <= match.start() < end for start, end in protected):
                continue  # "learning" inside "machine learning" is a subject, not a goal
            groups = match.groupdict()
            target = (groups.get("t") or "").strip()
            if re.match(r"(?:what|how|where|who|which)\s+i\b", target):
                return None, "", "", False, True  # "know what I want" names no goal
            return goal, target, (groups.get("from") or "").strip(), role_target, True
    return None, "", "", False, False


def _user_question(original: str, lexicon: Lexicon) -> str:
    """The first sentence that is a real question for a colleague (not "how can I get better at X")."""
    for sentence in sentences(original):
        norm = normalise(sentence)
        if not (_QUESTION_START.match(norm) or norm.endswith("?")) or len(norm.split()) < 3:
            continue
        if _SELF_HELP.search(norm) or _find_goal(norm, _alias_spans(norm, lexicon))[4]:
            continue
        question = tidy_question(sentence)
        if 10 <= len(question) <= 300:
            return question
    return ""


def _alias_spans(text: str, lexicon: Lexicon) -> list[tuple[int, int]]:
    return [(hit.start, hit.end) for hit in lexicon.domain_hits(text)]


def _tail_subject(question: str) -> str:
    """For a question naming no known subject: the phrase after its last for/in/about/of/with, else its last words."""
    norm = normalise(question).strip(" ?")
    tails = re.findall(r"\b(?:for|in|about|of|with|at)\s+((?:[\w&'-]+\s*){1,4})$", norm)
    if tails:
        return clean_phrase(tails[-1])
    words = [w for w in norm.split() if w not in _STOPWORDS]
    return " ".join(words[-2:]) if words else ""


def _focus_subject(focus: str) -> str:
    """The noun phrase an embedded question is about ("how our pricing works" -> "pricing")."""
    words = focus.split()[1:]
    while words and words[0] in _DETERMINERS:
        words = words[1:]
    phrase: list[str] = []
    for word in words:
        if word in _STOPWORDS or word in _DETERMINERS:
            break
        phrase.append(word)
    return clean_phrase(" ".join(phrase[:3]))


@dataclass(frozen=True)
class _Subject:
    domain: str = ""
    known: bool = False
    focus: str = ""
    base: str = ""
    topic: bool = False


def _subject(target: str, goal: Goal | None, role_target: bool, lexicon: Lexicon) -> _Subject:
    """The subject named by a goal's target: a known domain, an embedded question, or the user's own phrase."""
    cut = _CUT.search(target)
    clause = target[: cut.start() if cut else len(target)].strip()
    hit = lexicon.first_domain(target)
    known = hit is not None and hit.start <= len(clause)
    if target.split()[0] in WH_WORDS:  # "understand how the business makes money"
        if hit:
            return _Subject(hit.name, True, clause)
        return _Subject(_focus_subject(clause), False, clause, topic=True)
    phrase = clean_phrase(target)
    if known and hit:
        extra = set(content_words(phrase)) - set(content_words(target[hit.start : hit.end]))
        if extra and goal == "understand":  # "the public sector procurement process": ask about it as said
            return _Subject(hit.name, True, re.sub(r"^(?:more\s+)?(?:about\s+)?", "", clause))
        if extra and len(extra) <= 2 and len(phrase.split()) <= 4:  # "move into hospital administration"
            return _Subject(phrase, False, base=hit.name)
        return _Subject(hit.name, True)
    if not phrase:
        return _Subject()
    if role_target:
        role_domain = lexicon.role_domain(phrase)
        if role_domain:
            return _Subject(role_domain, True)
        return _Subject(phrase if phrase.startswith("the ") else f"the {phrase} role")
    return _Subject(phrase)


def read_text(text: str, lexicon: Lexicon) -> TextReading:
    """Read a wish or a free answer: role first (so its words do not become the subject), then goal and subject."""
    norm = _NOT_KNOWING.sub("want to learn how", normalise(text))
    role, role_spans = _find_role(norm, lexicon)
    rest = _mask(norm, role_spans)
    goal, target, origin, role_target, _ = _find_goal(rest, _alias_spans(rest, lexicon))
    if origin:  # "move from support into product management": support is where they come from
        role = _Role(role.role or clean_phrase(origin) or origin, clean_phrase(origin) or origin)
        at = rest.find(origin)
        rest = _mask(rest, [(at, at + len(origin))]) if at >= 0 else rest
    subject = _subject(target, goal, role_target, lexicon) if target else _Subject()
    domain, known = subject.domain, subject.known
    if not domain and role.role and lexicon.role_domain(role.role):
        domain, known, goal = lexicon.role_domain(role.role) or "", True, goal or "get better at"
    if not domain:
        hit = lexicon.first_domain(rest)
        if hit:
            domain, known = hit.name, True
    question = _user_question(text, lexicon)
    topic = subject.topic
    if question and not domain:
        domain, topic = clean_phrase(_tail_subject(question)), True
    if domain and not known:
        domain = lexicon.display(domain)
    return TextReading(
        domain=domain,
        known_domain=known,
        base_domain=subject.base,
        topic=topic and bool(domain) and not known,
        goal=goal,
        role=role.role,
        background=role.background,
        facets=tuple(lexicon.facets_in(rest)),
        question=question,
        focus=subject.focus,
    )
