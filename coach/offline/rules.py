"""The phrase rules that find a person's role, goal and subject in a normalised wish, as readable tables."""

from __future__ import annotations

import re
from dataclasses import dataclass

from coach.offline.bank import Goal


def _any(*phrases: str) -> str:
    """A regex alternation of phrases, spaces matching any run of whitespace."""
    return "(?:" + "|".join(p.replace(" ", r"\s+") for p in phrases) + ")"


TARGET = r"(?P<t>[^.!?;]*)"  # the rest of the sentence: what the goal is about
_FROM = r"(?:from\s+(?P<from>[^.!?;]+?)\s+)?"  # "move from support into ..."
# "to become", "i want start", "help me become": the person talks about themselves, not "a novel becoming a show".
_SELF = (
    r"(?:^|\b"
    + _any(
        "to",
        "i",
        "i'm",
        "me",
        "want",
        "wanna",
        "can",
        "could",
        "should",
        "will",
        "how",
        "where",
        "just",
        "now",
    )
    + r"\s+|\b(?:first|for|and)\s+)"
)
_END = (
    r"\s+(?:and|but|so|because|since|while|where|which|who|that|looking|trying|wanting|hoping|thinking|"
    r"considering|planning|wondering|keen|interested|currently|here)\b|\s+-\s+|[,.;!?]|$"
)
_ROLE = r"(?P<r>[^,.;!?]+?)"
_ROLE_END = f"(?={_END})"
_ROLE_END_PREP = rf"(?=\s+(?:at|in|on|for|with|from|i)\b|{_END})"
_I_AM = r"\bi(?:'m| am)\s+(?:currently\s+|now\s+|just\s+|still\s+)?"


@dataclass(frozen=True)
class RoleRule:
    """A way people state their role; `working` rules ("I work on X") name a place, not a job title."""

    pattern: re.Pattern[str]
    working: bool = False


ROLE_RULES = [
    RoleRule(re.compile(rf"\bi(?:'ve| have)\s+been\s+(?:a|an)\s+{_ROLE}{_ROLE_END_PREP}")),
    RoleRule(
        re.compile(
            rf"\bi(?:'m| am)?\s+(?:currently\s+|now\s+)?(?:work|working)\s+(?P<prep>on|in|at|for)\s+{_ROLE}{_ROLE_END}"
        ),
        working=True,
    ),
    RoleRule(re.compile(rf"\bi\s+work\s+as\s+(?:a\s+|an\s+)?{_ROLE}{_ROLE_END}")),
    RoleRule(re.compile(rf"{_I_AM}(?:a|an)\s+{_ROLE}{_ROLE_END_PREP}")),
    RoleRule(
        re.compile(
            rf"{_I_AM}(?!new to\b)(?P<r>(?:new|junior|senior|first[- ]time)\s+[^,.;!?]+?){_ROLE_END_PREP}"
        )
    ),
    RoleRule(re.compile(rf"\bas\s+(?:a|an)\s+{_ROLE}{_ROLE_END_PREP}")),
    RoleRule(re.compile(rf"\bmy (?:role|job|position) is\s+(?:a\s+|an\s+)?{_ROLE}{_ROLE_END}")),
]
# "i am nurse": without an article only a known role word counts, so this is checked against the lexicon.
BARE_ROLE = re.compile(rf"{_I_AM}(?P<r>[a-z-]+(?:\s+[a-z-]+)?)")


@dataclass(frozen=True)
class GoalRule:
    """A phrase that states a goal. `goal` None: "mentor in X" names a subject but no goal; `names_role`:
    the target is a role ("become a product manager"), not a subject."""

    goal: Goal | None
    pattern: re.Pattern[str]
    names_role: bool = False


_BE = _any("be", "being", "become", "becoming")
_BETTER = _any("better", "good", "great", "stronger", "more confident", "more effective")
_MOVE = _any(
    "move", "moving", "switch", "switching", "transition", "transitioning", "pivot", "pivoting",
    "shift", "shifting", "change", "changing", "step", "stepping",
)  # fmt: skip
_INTO = r"(?:in)?to\s+(?:a\s+|an\s+|the\s+)?(?:career\s+in\s+|role\s+in\s+|job\s+in\s+|position\s+in\s+)?"
_IMPROVE = _any(
    "improve", "improving", "strengthen", "strengthening", "sharpen", "sharpening", "level up", "upskill",
    "upskilling", "master", "mastering", "polish", "work on", "develop my", "build my", "grow my",
    "better at", "better in",
)  # fmt: skip
_START = _any(
    "start",
    "starting",
    "begin",
    "beginning",
    "get started",
    "getting started",
    "kick off",
    "set up",
    "setting up",
)
_START_HOW = (
    r"\b\s*(?:with\s+|in\s+|on\s+|doing\s+|using\s+|learning\s+|to\s+learn\s+|to\s+use\s+|to\s+do\s+)?"
)
_UNDERSTAND = _any(
    "understand", "understanding", "learn", "learning", "know", "knowing", "explain", "explains",
    "walk me through", "figure out", "make sense of", "get my head around", "explore", "exploring", "study",
    "studying", "discover", "curious about", "interested in", "dig into", "read up on", "get to know",
    "find out", "insight into", "insights into", "familiar with", "familiarise myself with",
    "familiarize myself with", "teach me", "show me",
)  # fmt: skip
_HOW_MUCH = (
    r"(?:more\s+|a\s+bit\s+|a\s+little\s+|the\s+basics\s+of\s+|basics\s+of\s+|something\s+|everything\s+)?"
)
_NOT_A_TOPIC = r"(?!about\b|more\b|how\b|what\b|why\b|who\b|where\b|which\b|when\b)"
_ASK = _any(
    "mentor", "mentoring", "mentorship", "coach", "coaching", "guidance", "advice", "help", "tips", "someone"
)
_ABOUT = _any("in", "on", "for", "with", "about", "around", "regarding", "who knows")

# Checked in order; the first rule that matches outside a known subject ("machine learning") wins.
GOAL_RULES = [
    GoalRule(
        "get better at",
        re.compile(rf"\b(?:get|getting|be|being|become|becoming)\s+{_BETTER}\s+(?:at|in|with)\s+{TARGET}"),
    ),
    GoalRule(
        "get better at", re.compile(rf"{_SELF}{_BE}\s+(?:a\s+|an\s+)?{_BETTER}\s+{TARGET}"), names_role=True
    ),
    GoalRule(
        "move into",
        re.compile(
            rf"\b{_MOVE}\s+(?:my\s+)?(?:careers?\s+|jobs?\s+|roles?\s+|teams?\s+)?{_FROM}{_INTO}{TARGET}"
        ),
    ),
    GoalRule(
        "move into",
        re.compile(
            rf"\b(?:get|getting|go|going|break|breaking|grow|growing)\s+{_FROM}in(?:to|\s+to)\s+{TARGET}"
        ),
    ),
    GoalRule("move into", re.compile(rf"\bcareer\s+(?:change|switch|move)\s+(?:in)?to\s+{TARGET}")),
    GoalRule("move into", re.compile(rf"\b(?:a\s+)?(?:career|job|role|position)\s+in\s+{TARGET}")),
    # "promoted to team lead", "step up to manager": the role comes next
    GoalRule(
        "move into",
        re.compile(
            rf"\b(?:promoted|promotion|step\s+up|stepping\s+up)\s+(?:in)?to\s+(?:a\s+|an\s+|the\s+)?{TARGET}"
        ),
        names_role=True,
    ),
    GoalRule(
        "move into", re.compile(rf"{_SELF}(?:become|becoming)\s+(?:a\s+|an\s+)?{TARGET}"), names_role=True
    ),
    GoalRule("move into", re.compile(rf"{_SELF}(?:be|being)\s+(?:a|an)\s+{TARGET}"), names_role=True),
    # "future CFO", "aspiring data scientist": the role someone is heading for
    GoalRule(
        "move into",
        re.compile(rf"\b(?:future|aspiring|would-be|wannabe|budding)\s+{TARGET}"),
        names_role=True,
    ),
    # "from IC to manager": a move said without a verb
    GoalRule(
        "move into",
        re.compile(rf"^\s*(?:a\s+|an\s+)?from\s+(?P<from>[^.!?;]+?)\s+(?:in)?to\s+(?:a\s+|an\s+)?{TARGET}"),
        names_role=True,
    ),
    GoalRule("get better at", re.compile(rf"\b{_IMPROVE}\s+{TARGET}")),
    GoalRule("start doing", re.compile(rf"{_SELF}{_START}{_START_HOW}{TARGET}")),
    GoalRule("start doing", re.compile(rf"\bnew\s+to\s+{TARGET}")),
    # "learn python" is starting out; "learn about publishing" and "learn how X works" are understanding.
    GoalRule("start doing", re.compile(rf"\b(?:learn|study)\s+{_NOT_A_TOPIC}{TARGET}")),
    GoalRule("understand", re.compile(rf"\b{_UNDERSTAND}\s+{_HOW_MUCH}(?:about\s+|of\s+|on\s+)?{TARGET}")),
    GoalRule(None, re.compile(rf"\b{_ASK}\s+(?:me\s+)?{_ABOUT}\s+{TARGET}")),
    GoalRule(None, re.compile(r"(?P<t>(?:[\w&/'-]+\s+){1,3}?)(?:mentor|mentorship|coach|expert)s?\b")),
]
# A leading job noun before a move ("teacher moving into L&D"): checked against the role nouns.
LEADING_ROLE = re.compile(
    r"^(?:i'm\s+|i am\s+)?(?:a\s+|an\s+)?(?P<r>[a-z][a-z&-]*(?:\s+[a-z][a-z&-]*){0,2}?)\s+"
    r"(?=(?:moving|switching|looking|wanting|hoping|trying|thinking|transitioning|pivoting|here|who|want|and)\b)"
    r"|^(?:i'm\s+|i am\s+)?(?:a\s+|an\s+)?(?P<r2>[a-z][a-z&-]*(?:\s+[a-z][a-z&-]*){0,2}?)(?=,)"
)
# Answers that say "I don't know" name no subject ("not sure", "whatever you think", "idk").
UNSURE = re.compile(
    r"\b(?:not sure|unsure|no idea|don'?t know|dunno|idk|whatever|no preference|up to you|"
    r"you (?:choose|decide|pick)|any ?thing|no clue|nothing)\b"
)
# Words that make a phrase a sentence, not a subject ("publishing biz how does it make money").
NOT_IN_A_SUBJECT = frozenset(
    {"how", "what", "why", "when", "where", "which", "who", "is", "are", "does", "do", "did", "can", "could",
     "should", "would", "will", "it", "i", "you", "we", "they", "me", "want", "need", "like", "help", "please",
     "mentor", "mentors", "mentorship"}
)  # fmt: skip
# "I don't know how to give feedback" is a wish to learn it.
NOT_KNOWING_HOW = re.compile(r"\b(?:don't know|do not know|dont know|not sure|no idea|unsure) how\b")
# "know what I want", "know what to learn" name no goal.
SELF_QUESTION = re.compile(
    r"(?:what|how|where|who|which)\s+i\b|(?:what|where|which)\s+to\s+(?:learn|start|do|ask|study|focus|pick|choose)\b"
)
# "how does the warehouse system work": the thing a question asks about, with its article.
QUESTION_SUBJECT = re.compile(
    r"^(?:how|why|when|where)\s+(?:does|do|did|is|are|was|were|can|will|would|should)\s+"
    r"(?P<x>(?:the|our|a|an|this|my|your|their)\s+(?:[\w&'-]+\s+){0,4}?[\w&'-]+)\s+[a-z]+(?:\s+(?:up|out|down|on|off))?\s*\??$"
)
# A domain word used to name a tool ("management system") is no mention of the domain.
MODIFIED_BY = re.compile(r"\s+(?:system|systems|software|tool|tools|platform|platforms|app|apps)\b")
# "I'm in HR": where the person works, if the lexicon knows the place (checked in the reader).
I_AM_IN = re.compile(
    r"\bi(?:'m| am)\s+(?:currently\s+|now\s+|still\s+)?in\s+(?:the\s+)?(?P<r>[a-z&][\w&/-]*(?:\s+[a-z&][\w&/-]*)?)"
)

WH_WORDS = frozenset({"how", "what", "why", "when", "where", "which", "who", "whom", "whose"})
QUESTION_START = re.compile(
    r"^(?:how|what|why|when|where|which|who|whose|is|are|can|could|should|would|do|does|did)\b"
)
# Questions about the person themselves are requests for help, not questions to put to a colleague.
SELF_HELP = re.compile(
    r"\b(?:help me|mentor|teach me|how i can|where (?:do|should) i (?:start|begin)"
    r"|how (?:do|can|should|could) i (?:start|begin|grow|learn|improve|get|become|be|move|switch|find)"
    r"|what should i (?:learn|study|read|do))\b"
)
# What a question asks about: "what makes a good pitch deck", else the phrase after its last preposition.
QUESTION_OBJECT = re.compile(
    r"^what\s+(?:makes|is|are)\s+(?:a\s+|an\s+)?(?:good|great|strong)\s+(?P<x>[\w&' -]+)$"
)
QUESTION_TAIL = re.compile(r"\b(?:for|in|about|of|on|with)\s+((?:[\w&'-]+\s*){1,3})$")
