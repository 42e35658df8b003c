"""How safe the offline coach's typo fixes are (coach/offline/vocabulary.py), as JSON.

Two measurements over the words of organisations' profiles (the bundled sample and every set under
benchmarks/data, plus any --profiles files): typos made from common profile words (one deleted, inserted,
substituted or swapped letter, never the first) should be fixed back; profile words that are not in the
English list (jargon such as "backlist", "microcopy", names in e-mail addresses) should be left alone, since
a person may type them too. Prints the share of typos fixed, fixed wrongly and left, and the share of jargon
changed, with examples.

Run: .venv/bin/python benchmarks/spelling_fixes.py [--profiles FILE ...] [--typos N]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coach.offline.steps import default_coach
from coach.offline.vocabulary import english_words
from vectorstore.profiles import load_profiles

ROOT = Path(__file__).resolve().parents[1]
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def profile_words(files: list[Path]) -> set[str]:
    """Lower-case words as written in profiles (capitalised names are left out: people type them so)."""
    words: set[str] = set()
    for path in files:
        for profile in load_profiles(path).profiles:
            text = " ".join([profile.title, profile.bio, *profile.expertise])
            words.update(re.findall(r"(?<![\w'-])[a-z]{5,}(?![\w'-])", text))
    return words


def typo(word: str, rng: random.Random) -> str:
    at = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("delete", "insert", "substitute", "swap"))
    if kind == "delete":
        return word[:at] + word[at + 1 :]
    if kind == "insert":
        return word[:at] + rng.choice(_LETTERS) + word[at:]
    if kind == "substitute":
        return word[:at] + rng.choice(_LETTERS) + word[at + 1 :]
    return word[:at] + word[at + 1] + word[at] + word[at + 2 :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=Path, action="append", default=[])
    parser.add_argument("--typos", type=int, default=2000)
    args = parser.parse_args(argv)
    files = [
        ROOT / "vectorstore" / "sample_profiles.csv",
        *sorted((ROOT / "benchmarks" / "data").glob("*/profiles.jsonl")),
    ]
    files += args.profiles
    vocabulary = default_coach().lexicon.vocabulary
    words = profile_words(files)
    jargon = sorted(w for w in words if not vocabulary.knows(w))
    changed = [(w, vocabulary.fix(w)) for w in jargon if vocabulary.fix(w) != w]
    rng = random.Random(7)
    common = sorted(w for w in words if w in english_words())
    pairs = [(w, typo(w, rng)) for w in rng.choices(common, k=args.typos)]
    pairs = [(w, t) for w, t in pairs if not vocabulary.knows(t)]
    fixed = sum(vocabulary.fix(t) == w for w, t in pairs)
    wrong = [(t, vocabulary.fix(t), w) for w, t in pairs if vocabulary.fix(t) not in (w, t)]
    report = {
        "profile_files": len(files),
        "typos": len(pairs),
        "typos_fixed_rate": round(fixed / len(pairs), 3),
        "typos_fixed_wrongly_rate": round(len(wrong) / len(pairs), 3),
        "typos_left_rate": round((len(pairs) - fixed - len(wrong)) / len(pairs), 3),
        "unknown_profile_words": len(jargon),
        "unknown_profile_words_changed_rate": round(len(changed) / len(jargon), 3) if jargon else 0.0,
        "changed_examples": changed[:40],
        "wrong_fix_examples": wrong[:20],
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
