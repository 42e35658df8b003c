"""Does anybody here know? A calibrated fit decision for a question's best match.

Shared words are a poor test ("lifecycle" in a paralegal's bio is not knowledge of drug discovery).
A match fits when the question's cosine with the profile under the bundled static embedding clears a
bar that rises with the share of the question's words that nobody here uses at all: a question about
"quantum", "drilling rigs" or "salmon" in a publisher is mostly such words, so a moderate cosine
from a stray shared word ("mass" in mass-market) is not enough.

The thresholds were chosen with `benchmarks/fit_calibration.py` on eval questions asked of their own
organisation (they should fit) and of the other organisations (most should not); its report also
shows the signals that were measured and dropped (docs/retrieval.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from vectorstore.models import ExpertProfile

if TYPE_CHECKING:
    from vectorstore.retrieval import Retriever

MIN_SIMILARITY = 0.12  # a question whose words are all used here fits at this cosine
UNKNOWN_PENALTY = 0.25  # each unit of unknown-word share raises the cosine needed by this much


@dataclass(frozen=True)
class FitSignals:
    """What says that one profile can answer one question."""

    similarity: float  # cosine of question and profile (static embedding)
    unknown: float  # share of the question's words that no profile here uses
    gap: float  # similarity minus the median similarity of everyone here (reported, not used)

    @property
    def fits(self) -> bool:
        return self.similarity >= MIN_SIMILARITY + UNKNOWN_PENALTY * self.unknown


def fit_signals(retriever: Retriever, query: str, profile: ExpertProfile) -> FitSignals:
    """The signals for one profile: a dot product and a few dictionary look-ups."""
    similarity = retriever.similarity(query, profile.id)
    return FitSignals(
        similarity=similarity,
        unknown=retriever.unknown_share(query),
        gap=similarity - retriever.typical_similarity(query),
    )
