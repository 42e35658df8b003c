"""Table-driven tests of text analysis, the concept lexicon and query constraints."""

from __future__ import annotations

from pathlib import Path

import pytest

from vectorstore.analysis import analyze, normalize, strip_stop_phrases, tokenize
from vectorstore.concepts import ConceptLexicon, concept_names, default_lexicon
from vectorstore.constraints import detect_languages, detect_locations, satisfies_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Title P&L models", ["title", "pl", "models"]),
        ("R & D budget", ["rd", "budget"]),
        ("E-book and e-reader", ["ebook", "and", "ereader"]),
        ("The author's sell-through", ["the", "author", "sell", "through"]),
        ("Café São Paulo", ["cafe", "sao", "paulo"]),
        ("don't panic", ["don't", "panic"]),
        ("", []),
    ],
)
def test_tokenize(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


@pytest.mark.parametrize(
    ("text", "question", "expected"),
    [
        ("Managing royalties and margins", False, ("manag", "royalti", "margin")),
        ("Who can teach me about pricing?", True, ("price",)),
        ("I want to understand how the business makes money", True, ("busi", "money")),
        ("Can someone walk me through hiring?", True, ("hire",)),
        ("people strategy", False, ("peopl", "strategi")),
    ],
)
def test_analyze_content_stems(text: str, question: bool, expected: tuple[str, ...]) -> None:
    assert analyze(text, question=question).content == expected


def test_stop_phrases_are_removed_whole_words_only() -> None:
    stripped = strip_stop_phrases("Who can teach me the basics of budgeting?")
    assert "teach" not in stripped and "basics" not in stripped and "budgeting" in stripped
    assert "howdy" in strip_stop_phrases("howdy partner")


def test_normalize_lowercases_and_folds_accents() -> None:
    assert normalize("Ünïcode P&L") == "unicode pl"


@pytest.mark.parametrize(
    ("text", "concepts"),
    [
        ("How do we pay an author up front?", {"payments", "advance_payment"}),
        ("gross margin and title-level profit and loss", {"revenue_profit"}),
        ("Shops can send back copies nobody bought", {"returns_refunds", "retail_channels"}),
        ("someone who can't see", {"accessibility"}),
        ("the website keeps falling over", {"reliability_incidents"}),
        ("structured interviewing and candidate sourcing", {"hiring"}),
        ("GDPR consent for the mailing list", {"compliance_privacy", "marketing"}),
    ],
)
def test_concepts_found_for_paraphrases(text: str, concepts: set[str]) -> None:
    found = set(concept_names(default_lexicon().terms(analyze(text).stems)))
    assert concepts <= found


def test_concept_phrases_match_after_stemming_and_in_order() -> None:
    lexicon = ConceptLexicon.from_mapping({"money": ["profit and loss"], "other": ["loss"]})
    assert lexicon.terms(analyze("profits and losses").stems) == ["~money", "~other"]
    assert lexicon.terms(analyze("loss and profit").stems) == ["~other"]


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("pay up front", True),
        ("pay an author up front", True),  # two inserted words are allowed
        ("pay the new author fully up front", False),  # four are not
        ("up front pay", False),  # order matters
    ],
)
def test_phrases_match_across_small_gaps(text: str, matches: bool) -> None:
    lexicon = ConceptLexicon.from_mapping({"advance": ["pay up front"]})
    assert (lexicon.terms(analyze(text).stems) == ["~advance"]) is matches


def test_bad_lexicon_says_how_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "concepts.yaml"
    path.write_text("- just a list\n")
    with pytest.raises(ValueError, match="must be a mapping"):
        ConceptLexicon.load(path)
    with pytest.raises(ValueError, match="list of phrases"):
        ConceptLexicon.from_mapping({"money": "revenue"})  # type: ignore[dict-item]
    path.write_text("people:\n  - 1:1\n")
    with pytest.raises(ValueError, match="quote phrases"):
        ConceptLexicon.load(path)


def test_bundled_lexicon_has_no_empty_concepts() -> None:
    lexicon = default_lexicon()
    assert len(lexicon.concepts) >= 50
    assert all(phrases for phrases in lexicon.concepts.values())


@pytest.mark.parametrize(
    ("question", "languages"),
    [
        ("Ideally someone who speaks Spanish: how do we sell abroad?", ["Spanish"]),
        ("A German-speaking engineer who knows Kubernetes", ["German"]),
        ("Can someone explain the budget in French?", ["French"]),
        ("someone fluent in Portuguese or Spanish", ["Portuguese", "Spanish"]),
        ("How do we sell in the Spanish market?", []),
        ("Who handles German rights?", []),
    ],
)
def test_detect_languages(question: str, languages: list[str]) -> None:
    assert sorted(detect_languages(question)) == sorted(languages)


@pytest.mark.parametrize(
    ("question", "locations"),
    [
        ("Someone based in London who knows the UK trade", ["London"]),
        ("Anyone in Toronto who can explain pricing?", ["Toronto"]),
        ("feedback tips from someone who also works remotely", ["Remote"]),
        ("How does New York compare to Paris?", []),
        ("Anyone in Mexico City?", ["Mexico City"]),
        ("Is there anyone at the Toronto site who could show me?", ["Toronto"]),
        ("I'm in the London office - could someone local help?", ["London"]),
        ("How does the New York market differ?", []),
    ],
)
def test_detect_locations(question: str, locations: list[str]) -> None:
    known = ["London", "Toronto", "Remote", "New York", "Mexico City"]
    assert detect_locations(question, known) == locations


def test_language_match_is_case_insensitive() -> None:
    assert satisfies_language(["Spanish"], ["english", "spanish"])
    assert not satisfies_language(["Spanish"], ["English"])
