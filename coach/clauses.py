"""Shortening at phrase boundaries: a question keeps whole clauses and phrases, a topic is a whole noun phrase.

Nothing here cuts a sentence mid-way or adds an ellipsis: when no whole clause or phrase fits, the answer is
"" and the caller chooses something else (a shorter wording, another layout, a generic line).
"""

from __future__ import annotations

import re

_CLAUSE_BREAK = re.compile(r"\s*(?:[:;]|,\s|\s[-–—]\s)\s*")
# A trailing phrase that can go without breaking the sentence ("... in data engineering", "... for a beginner").
_TRAILING_PHRASE = re.compile(
    r"^(?P<keep>.*\S)\s(?:in|for|about|at|with|on|during|within|without|across|as|when|while|this|each|every)"
    r"\s[^,;:?]*$",
    re.IGNORECASE,
)
_NEVER_LAST = frozenset(
    {
        "the", "a", "an", "and", "or", "but", "of", "to", "in", "on", "at", "for", "with", "from", "by",
        "about", "into", "as", "your", "my", "our", "their", "its", "than", "which", "that", "what", "who",
        "whose", "how", "why", "when", "where", "is", "are", "was", "were", "do", "does", "did", "can",
        "could", "should", "would", "will", "has", "have", "had", "be", "been", "being", "very", "more",
        "most"
    }
)  # fmt: skip
_AUX = frozenset(
    {
        "do", "does", "did", "is", "are", "was", "were", "can", "could", "should", "would", "will", "has",
        "have", "had", "might", "must"
    }
)  # fmt: skip
_NOT_A_TOPIC_START = frozenset(
    {
        "i", "you", "we", "they", "he", "she", "it", "me", "us", "them", "my", "your", "our", "their",
        "this", "that", "these", "those", "there", "here", "what", "which", "who", "how", "why", "when",
        "where", "do", "does", "did", "is", "are", "was", "were", "can", "could", "should", "would", "will",
        "if"
    }
)  # fmt: skip
_WALK_THROUGH = re.compile(r"^(?:could|can|would)\s+you\s+walk\s+me\s+through\s+(?P<x>.+)$", re.IGNORECASE)
_TAIL_OBJECT = re.compile(
    r"\b(?:in|about|on|into|for|with)\s+(?P<x>(?:the\s+|our\s+)?[\w&'-]+(?:\s+[\w&'-]+){0,3})$"
)


def single_line(text: str) -> str:
    return " ".join(text.split())


def _words(text: str) -> list[str]:
    return re.findall(r"[\w&'’-]+", text.lower())


_QUESTION_AUX = frozenset(
    {
        "do", "does", "did", "is", "are", "was", "were", "can", "could", "should", "would", "will", "have",
        "has", "had", "may", "might", "must", "am", "shall"
    }
)  # fmt: skip
_OPENERS = frozenset({"what", "which", "how", "why", "who", "whom", "whose", "when", "where", *_QUESTION_AUX})
# A question may open with a clause ("If you were starting today, what would ...?").
_CLAUSE_OPENERS = frozenset({"if", "when", "once", "before", "after", "as", "looking", "thinking", "since"})
_HOW_WORDS = frozenset({"much", "many", "long", "often", "far", "well", "soon", "big", "quickly", "exactly"})
_EMBEDDED_AFTER_WH = frozenset(
    {
        "it", "the", "a", "an", "our", "my", "your", "their", "this", "that", "these", "those", "we", "you",
        "they", "i", "he", "she", "its", "to"
    }
)  # fmt: skip


def is_direct_question(text: str) -> bool:
    """Whether `text` is a question put to someone ("How does X work?"), not a fragment ("How it works?")."""
    text = text.strip()
    if not text.endswith("?") or not text[:1].isupper():
        return False
    context, _, last = text.rpartition(" - ")  # "I'm editing a memoir - are we allowed to print it?"
    if context and last[:1].islower() and is_direct_question(last[:1].upper() + last[1:]):
        return True
    words = _words(text)
    if not words:
        return False
    first = words[0].removesuffix("'s").removesuffix("’s")
    if first in _CLAUSE_OPENERS:  # the question proper follows the opening clause
        _, _, rest = text.partition(", ")
        return bool(rest) and is_direct_question(rest[:1].upper() + rest[1:])
    if first in {"could", "would", "can"} and len(words) > 2 and words[1] == "you":
        return True
    if first not in _OPENERS:
        return False
    if words[0] != first:  # "What's", "How's"
        return True
    second = words[1] if len(words) > 1 else ""
    if first in {"how", "why", "where", "when"}:
        return second in _QUESTION_AUX or second in _HOW_WORDS or (first == "how" and second == "come")
    if first in {"what", "which", "who", "whom", "whose"}:
        after_you = second == "you" and len(words) > 2 and words[2] in _QUESTION_AUX
        return second not in _EMBEDDED_AFTER_WH or after_you
    return True


def is_whole(phrase: str) -> bool:
    """Whether a phrase ends where a phrase can end (not on "the", "of", "and", "your", "does" ...)."""
    words = _words(phrase)
    return len(words) >= 2 and words[-1] not in _NEVER_LAST


def fit_question(question: str, limit: int) -> str:
    """The longest version of `question` within `limit` characters that keeps whole clauses and phrases.

    "Which skills from support carry over to product, and which gaps should I close first?" can become
    "Which skills from support carry over to product?"; "" when no whole version fits."""
    question = single_line(question)
    if len(question) <= limit:
        return question
    mark = "?" if question.endswith("?") else ""
    body = question.rstrip("?").rstrip()
    clauses = [body] + [body[: m.start()] for m in _CLAUSE_BREAK.finditer(body)]
    candidates: set[str] = set()
    for clause in clauses:
        while clause:
            candidates.add(clause.rstrip(" ,"))
            match = _TRAILING_PHRASE.match(clause)
            clause = match.group("keep") if match else ""
    direct = is_direct_question(question)
    fitting = [
        c
        for c in candidates
        if len(c) + len(mark) <= limit
        and is_whole(c)
        and len(_words(c)) >= 4
        and (not direct or is_direct_question(c + mark))  # "When you started in X?" is no question
    ]
    return max(fitting, key=len) + mark if fitting else ""


def fit_phrase(phrase: str, limit: int) -> str:
    """A noun phrase within `limit` characters, dropping trailing phrases whole; "" when none fits."""
    phrase = single_line(phrase)
    while phrase and len(phrase) > limit:
        match = _TRAILING_PHRASE.match(phrase)
        phrase = match.group("keep") if match else ""
    return phrase if phrase and (len(_words(phrase)) < 2 or is_whole(phrase)) else ""


def topic_of(question: str, limit: int = 60) -> str:
    """A short noun phrase a question is about, for a subject line; "" when there is no clean one.

    "Which financial metrics does the division watch?" -> "financial metrics"; "Could you walk me through
    how pricing works?" -> "how pricing works"; "What paths lead into data engineering?" -> "data engineering"."""
    text = single_line(question).rstrip("?").strip()
    clause = _CLAUSE_BREAK.split(text, maxsplit=1)[0].strip() or text
    words = clause.split(" ")
    candidates: list[str] = []
    walk = _WALK_THROUGH.match(clause)
    if walk:
        candidates.append(walk.group("x"))
    asked: list[str] = []
    if words[0].lower() in {"which", "what"}:
        aux = next((i for i, word in enumerate(words) if word.lower() in _AUX), None)
        if aux is not None and 1 < aux <= 5:
            asked = words[1:aux]
    tail = _TAIL_OBJECT.search(clause)
    # "Which financial metrics ...": the thing asked about; a lone "paths" or "steps" says less than the tail
    if len(asked) > 1:
        candidates.append(" ".join(asked))
    if tail:
        candidates.append(tail.group("x"))
    if len(asked) == 1:
        candidates.append(asked[0])
    for candidate in candidates:
        topic = fit_phrase(candidate, limit)
        first = _words(topic)[:1]
        if topic and first and first[0] not in _NOT_A_TOPIC_START:
            return topic
        if topic and first and first[0] in {"how", "what", "why", "who", "which"} and walk:
            return topic  # "how pricing works": an indirect question reads as a topic
    return ""
