"""Learning question to people: search, grounding, and a connector when nobody fits well."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from coach.clauses import fit_question, topic_of
from coach.models import Connector, LearningQuestion, QuestionMatches
from vectorstore.index import ExpertIndex
from vectorstore.models import Availability, ExpertMatch, ExpertProfile, FieldEvidence, SearchFilters

CONNECTOR_TITLE = re.compile(
    r"\b(chief of staff|head|director|vp|vice president|chief|lead|manager|partner)\b", re.IGNORECASE
)
_SENIORITY = (
    "chief of staff",
    "head",
    "vp",
    "vice president",
    "director",
    "chief",
    "lead",
    "manager",
    "partner",
)
RecentAsks = Callable[[Sequence[str]], Mapping[str, int]]
DEFAULT_CAPACITY = 4  # requests per expert per 30 days when the profile sets no max_chats_per_month
COMPARABLE = 0.6  # matches scoring at least this share of the best one count as comparably good
BUSY = 0.75  # "many requests": at least this share of monthly capacity already asked (3 of the default 4)
LOAD_WEIGHT = 1.0  # a fully booked expert's score counts half
MAX_UNKNOWN_SUBJECT = 0.5  # a subject phrase with a larger share of words nobody here uses is unknown here
MIN_SUBJECT_WORDS = (
    3  # ... when it has at least this many words (a lexicon name such as "cybersecurity" need not)
)


def search_question(
    index: ExpertIndex, question: LearningQuestion, k: int, filters: SearchFilters | None = None
) -> list[ExpertMatch]:
    """Search with the question and, when it differs, its rewritten query; sum the scores, each run scaled to 1.

    Candidates come back unexplained; only the k that survive are explained, which keeps a turn cheap.
    """
    queries = [question.text]
    if question.search_query and question.search_query.strip().lower() != question.text.strip().lower():
        queries.append(question.search_query)
    runs = [index.search(q, k=max(k, 10), filters=filters, explain=False) for q in queries]
    fused: dict[str, float] = {}
    found: dict[str, ExpertMatch] = {}
    for run in runs:
        best = max((m.score for m in run), default=1.0) or 1.0
        for match in run:  # scaled scores keep the gaps between people; rank fusion would flatten them
            fused[match.profile.id] = fused.get(match.profile.id, 0.0) + match.score / best
            found.setdefault(match.profile.id, match)
    order = sorted(fused, key=lambda pid: -fused[pid])[:k]
    top = (fused[order[0]] if order else 0.0) or 1.0  # everyone scored 0 (nothing relevant): keep the zeros
    return [
        found[pid].model_copy(
            update={"score": round(fused[pid] / top, 4), "evidence": _explain(index, queries, found[pid])}
        )
        for pid in order
    ]


def _explain(index: ExpertIndex, queries: Sequence[str], match: ExpertMatch) -> list[FieldEvidence]:
    for query in queries:  # the user's own words first; the rewritten query when they match nothing
        evidence = index.explain(query, match.profile)
        if evidence:
            return evidence
    return []


@dataclass(frozen=True)
class Load:
    """Requests marked as sent per expert in the last 30 days (from the shared journal), to spread asks."""

    recent: Mapping[str, int] = field(default_factory=dict)
    default_capacity: int = DEFAULT_CAPACITY
    busy: float = BUSY

    def capacity(self, profile: ExpertProfile) -> int:
        stated = profile.max_chats_per_month
        return self.default_capacity if stated is None else stated

    def pressure(self, profile: ExpertProfile) -> float:
        """Recent asks as a share of monthly capacity: 0 when nobody asked, 1 when it is used up, then more."""
        return self.recent.get(profile.id, 0) / max(self.capacity(profile), 0.5)

    def is_busy(self, profile: ExpertProfile) -> bool:
        """Already asked "many" times: a share of their own capacity, never a bare count."""
        return self.recent.get(profile.id, 0) > 0 and self.pressure(profile) >= self.busy


def balance(matches: Sequence[ExpertMatch], load: Load) -> list[ExpertMatch]:
    """Among comparably good matches, put busy people after the others; say so only where that moved someone.

    Busy means asked at least `BUSY` of their monthly capacity. Only a busy expert's score is discounted,
    and a note says "moved down" on a busy expert that lost places and "moved up" on someone who passed a
    busy expert; reordering for any other reason (unavailability) carries no load note.
    """
    if not matches:
        return []
    top = max(m.score for m in matches) or 1.0

    def adjusted(match: ExpertMatch) -> float:
        if match.score < COMPARABLE * top or not load.is_busy(match.profile):
            return match.score
        return match.score / (1.0 + LOAD_WEIGHT * load.pressure(match.profile))

    def unavailable(match: ExpertMatch) -> bool:
        return match.profile.availability is Availability.unavailable

    plain = sorted(matches, key=lambda m: (unavailable(m), -m.score))  # the order without load
    ordered = sorted(matches, key=lambda m: (unavailable(m), -adjusted(m)))
    before = {m.profile.id: i for i, m in enumerate(plain)}
    busy = {m.profile.id for m in matches if load.is_busy(m.profile)}
    result = []
    for position, match in enumerate(ordered):
        pid = match.profile.id
        note = None
        if pid in busy and position > before[pid]:
            asked, capacity = load.recent.get(pid, 0), load.capacity(match.profile)
            note = (
                f"moved down: {asked} requests sent in the last 30 days against {capacity} chats a month; "
                "spreading requests"
            )
        elif pid not in busy and any(
            before[other] < before[pid] for other in busy if _position(ordered, other) > position
        ):
            note = "moved up: a comparable expert is already getting many requests"
        result.append(match.model_copy(update={"notes": [*match.notes, note]}) if note else match)
    return result


def _position(ordered: Sequence[ExpertMatch], profile_id: str) -> int:
    return next(i for i, m in enumerate(ordered) if m.profile.id == profile_id)


def match_question(
    index: ExpertIndex,
    question: LearningQuestion,
    *,
    k: int = 3,
    filters: SearchFilters | None = None,
    recent_asks: RecentAsks | None = None,
    found: Sequence[ExpertMatch] | None = None,
    vouched: Collection[str] = (),
) -> QuestionMatches:
    """The people to ask; unavailable people never come first; a connector when nobody fits well.

    `found` replaces the search (e.g. candidates an LLM re-ranked); `vouched` ids count as fitting even
    without shared words, because a re-ranker judged they can answer.
    """
    if found is None:
        found = search_question(index, question, k=k + 3, filters=filters)
    load = Load(recent_asks([m.profile.id for m in found]) if recent_asks else {})
    ordered = balance(found, load)[:k]
    # Fit is judged on the question's own words: a search query adds expansion words ("workflow",
    # "stages") that many profiles share whatever the topic.
    # A question about a subject nobody found knows cannot be answered here, whatever its frame words
    # ("costs", "stakeholders") share with someone's profile.
    subject_known = not question.topic or any(
        m.profile.id in vouched or _knows_subject(index, question.topic, m.profile) for m in found
    )
    fits = [
        m
        for m in ordered
        if subject_known
        and m.profile.availability is not Availability.unavailable
        and (m.profile.id in vouched or index.fit(question.text, m.profile).fits)
    ]
    connector = None if fits else find_connector(index, question, found)
    return QuestionMatches(question=question, matches=ordered, connector=connector, nobody_fits=not fits)


def _knows_subject(index: ExpertIndex, topic: str, profile: ExpertProfile) -> bool:
    """Whether a profile knows the subject the person named. A subject most of whose words nobody here uses
    at all ("commercial aviation maintenance", "semiconductor chip design") is not known here, however well
    its one familiar word ("commercial", "design") matches someone."""
    signals = index.fit(topic, profile)
    phrase = len(re.findall(r"[^\W\d_]{3,}", topic)) >= MIN_SUBJECT_WORDS  # one word: the fit rule alone
    return signals.fits and not (phrase and signals.unknown > MAX_UNKNOWN_SUBJECT)


def find_connector(
    index: ExpertIndex, question: LearningQuestion, near: Sequence[ExpertMatch]
) -> Connector | None:
    """Someone senior and reachable, ideally in the department of the nearest matches, who knows who knows."""
    departments = Counter(m.profile.department for m in near if m.profile.department)
    candidates = [
        p for p in index.profiles() if p.availability is not Availability.unavailable and _is_connector(p)
    ]
    if not candidates:
        return None
    nearest = [d for d, _ in departments.most_common()]

    def rank(profile: ExpertProfile) -> tuple[int, int, str]:
        place = nearest.index(profile.department) if profile.department in nearest else len(nearest)
        return (place, _seniority(profile), profile.id)

    chosen = min(candidates, key=rank)
    where = f"in {chosen.department}" if chosen.department else "here"
    return Connector(
        profile=chosen,
        ask=_small_ask(question),
        reason=f"{chosen.title or 'Senior colleague'} {where}: likely knows who owns this",
    )


def _is_connector(profile: ExpertProfile) -> bool:
    text = f"{profile.title} {profile.bio}".lower()
    return bool(CONNECTOR_TITLE.search(profile.title)) or "who owns what" in text or "knows who" in text


def _seniority(profile: ExpertProfile) -> int:
    text = f"{profile.title} {profile.bio}".lower()
    if "who owns what" in text or "knows who" in text:
        return -1
    title = profile.title.lower()
    return next((i for i, word in enumerate(_SENIORITY) if word in title), len(_SENIORITY))


def _small_ask(question: LearningQuestion) -> str:
    """ "Who could teach me ...?" about the question's topic, cut at a phrase boundary, never mid-phrase."""
    topic = question.topic or topic_of(question.text)
    if not topic:
        whole = fit_question(question.text, 80)
        return (
            f"Who could teach me the answer to this: {whole}" if whole else "Who could teach me about this?"
        )
    about = "" if re.match(r"(how|what|why|which|when|where|who)\b", topic, re.IGNORECASE) else "about "
    return f"Who could teach me {about}{topic}?"
