"""Load expert profiles from CSV, JSON, JSONL or YAML with row-level error reports."""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from coach.errors import ProfileError
from vectorstore.models import ExpertProfile
from vectorstore.yaml_bounds import load_yaml

DEFAULT_MAX_BYTES = 20 * 1_000_000  # megabytes are decimal everywhere (Settings.max_file_bytes)
DEFAULT_MAX_ROWS = 50_000
MAX_EXTRA_FIELDS = 30
MAX_EXTRA_CHARS = 2_000
KNOWN_FIELDS = frozenset(ExpertProfile.model_fields) - {"extra"}
FORMATS = {
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".yaml": "yaml",
    ".yml": "yaml",
}


@dataclass(frozen=True)
class RowIssue:
    """One rejected (or overridden) row: where it is and what is wrong."""

    file: str
    row: int
    field: str
    reason: str
    kind: str = "rejected"
    profile_id: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}"
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


@dataclass
class LoadResult:
    """The valid profiles of one or more files (last duplicate wins) and every issue found."""

    profiles: list[ExpertProfile] = field(default_factory=list)
    rejected: list[RowIssue] = field(default_factory=list)
    duplicates: list[RowIssue] = field(default_factory=list)
    rows_read: int = 0

    def merge(self, other: LoadResult) -> None:
        self.profiles.extend(other.profiles)
        self.rejected.extend(other.rejected)
        self.duplicates.extend(other.duplicates)
        self.rows_read += other.rows_read
        self.profiles, dups = _dedupe([(0, p) for p in self.profiles], "(all files)")
        self.duplicates.extend(dups)


def load_profiles(
    path: str | Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_rows: int = DEFAULT_MAX_ROWS,
    display_name: str | None = None,
) -> LoadResult:
    """Read one profile file; raise ProfileError when the file as a whole cannot be used."""
    path = Path(path)
    name = display_name or path.name
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ProfileError(f"{name}: unsupported file type; use one of {', '.join(sorted(FORMATS))}")
    text = read_text(path, max_bytes, name, advice="split the file")
    return parse_profiles(text, kind, name=name, max_rows=max_rows)


def read_text(path: Path, max_bytes: int, name: str, *, advice: str) -> str:
    """A file's text, refused before it is read when it is over `max_bytes` (ProfileError ending in `advice`),
    then decoded as `decode` does."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ProfileError(
                f"{name}: {_megabytes(size)} is over the {max_bytes / 1_000_000:g} MB limit; {advice}"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise ProfileError(f"{name}: cannot read the file ({exc.strerror})") from exc
    return decode(data, name)


def decode(data: bytes, name: str) -> str:
    """Text from UTF-8 (with or without a BOM) or BOM-marked UTF-16/32; anything else is refused clearly."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise ProfileError(
                    f"{name}: broken {encoding} text (byte {exc.start}); save it as UTF-8"
                ) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(f"{name}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from exc
    if "\x00" in text:
        raise ProfileError(
            f"{name}: contains NUL characters, so it is not a text file; save it as UTF-8 text"
        )
    return text


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _megabytes(size: int) -> str:
    """Decimal megabytes, rounded up so a file just over the limit never reads as equal to it."""
    return f"{math.ceil(size / 10_000) / 100:g} MB"


def parse_profiles(text: str, kind: str, *, name: str, max_rows: int = DEFAULT_MAX_ROWS) -> LoadResult:
    """Parse profile text of one format ("csv", "json", "jsonl", "yaml")."""
    rows = list(_rows(text, kind, name))
    if len(rows) > max_rows:
        raise ProfileError(f"{name}: {len(rows)} rows is over the limit of {max_rows}; split the file")
    result = LoadResult(rows_read=len(rows))
    valid: list[tuple[int, ExpertProfile]] = []
    for row_number, raw in rows:
        profile = _validate(raw, name, row_number, result.rejected)
        if profile is not None:
            valid.append((row_number, profile))
    result.profiles, result.duplicates = _dedupe(valid, name)
    return result


def _rows(text: str, kind: str, name: str) -> Iterator[tuple[int, Any]]:
    if kind == "csv":
        yield from _csv_rows(text, name)
    elif kind == "jsonl":
        # JSON Lines ends records at "\n" only; str.splitlines would also cut inside strings at
        # U+0085, U+2028 and other separators that JSON allows unescaped.
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, _Unparsable(f"invalid JSON: {exc.msg} at column {exc.colno}")
            except RecursionError:
                yield number, _Unparsable("nested too deeply")
    else:
        try:
            data = json.loads(text) if kind == "json" else load_yaml(text, name)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            raise ProfileError(f"{name}: not valid {kind.upper()}: {exc}") from exc
        except RecursionError:
            raise ProfileError(f"{name}: nested too deeply to be a list of profiles") from None
        if isinstance(data, dict) and isinstance(data.get("profiles"), list):
            data = data["profiles"]
        if not isinstance(data, list):
            raise ProfileError(f"{name}: expected a list of profiles (or {{'profiles': [...]}})")
        yield from enumerate(data, start=1)


def _csv_rows(text: str, name: str) -> Iterator[tuple[int, Any]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip().lower() for column in next(reader)]
    except StopIteration:
        raise ProfileError(f"{name}: the file is empty") from None
    except csv.Error as exc:
        raise ProfileError(f"{name}: unreadable CSV header: {exc}") from exc
    missing = {"id", "name"} - set(header)
    if missing:
        raise ProfileError(
            f"{name}: missing required column(s) {', '.join(sorted(missing))}; the header must include id and name"
        )
    row_number = 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            row_number = reader.line_num
            yield row_number, _Unparsable(f"malformed CSV: {exc}")
            continue
        row_number += 1
        if not any(value.strip() for value in values):
            continue
        if len(values) > len(header):
            yield row_number, _Unparsable(f"{len(values)} values but the header has {len(header)} columns")
            continue
        yield row_number, dict(zip(header, values, strict=False))


@dataclass(frozen=True)
class _Unparsable:
    reason: str


def _validate(raw: Any, name: str, row: int, issues: list[RowIssue]) -> ExpertProfile | None:
    if isinstance(raw, _Unparsable):
        issues.append(RowIssue(name, row, "", raw.reason))
        return None
    if not isinstance(raw, dict):
        issues.append(
            RowIssue(name, row, "", f"expected an object with id and name, got {type(raw).__name__}")
        )
        return None
    known = {key: value for key, value in raw.items() if key in KNOWN_FIELDS}
    extra = {str(key): value for key, value in raw.items() if key not in KNOWN_FIELDS and key != "extra"}
    if isinstance(raw.get("extra"), dict):
        extra.update(raw["extra"])
    extra = {key: _as_text(value) for key, value in extra.items() if value not in (None, "")}
    if len(extra) > MAX_EXTRA_FIELDS:
        issues.append(RowIssue(name, row, "", f"{len(extra)} extra columns; at most {MAX_EXTRA_FIELDS}"))
        return None
    for key in ("id", "name"):
        if isinstance(known.get(key), int | float):
            known[key] = str(known[key])
    try:
        return ExpertProfile(**known, extra=extra)
    except ValidationError as exc:
        pid = str(known.get("id") or "")
        for error in exc.errors():
            field_name = ".".join(str(part) for part in error["loc"][:1]) or "row"
            issues.append(RowIssue(name, row, field_name, _reason(error), profile_id=pid))
        return None


def _reason(error: Any) -> str:
    if error["type"] == "missing":
        return "required"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _as_text(value: Any, limit: int = MAX_EXTRA_CHARS) -> str:
    """An extra column's value as text of at most `limit` characters, measured while it is written.

    Encoding stops once the limit is reached, so a value whose full text would be huge (a YAML alias
    bomb, a deeply repeated structure) costs no more than the characters kept.
    """
    if isinstance(value, str):
        return value[:limit]
    pieces: list[str] = []
    size = 0
    try:
        for piece in _ENCODER.iterencode(value):
            pieces.append(piece)
            size += len(piece)
            if size >= limit:
                break
    except (ValueError, TypeError, RecursionError):  # circular, unserialisable or too deep
        pieces.append("…")
    return "".join(pieces)[:limit]


_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)


def _dedupe(rows: list[tuple[int, ExpertProfile]], name: str) -> tuple[list[ExpertProfile], list[RowIssue]]:
    latest: dict[str, ExpertProfile] = {}
    seen: dict[str, list[int]] = {}
    for row, profile in rows:
        latest.pop(profile.id, None)  # re-insert so the last occurrence keeps its position
        latest[profile.id] = profile
        seen.setdefault(profile.id, []).append(row)
    issues = [
        RowIssue(
            name, where[-1], "id", f"id {pid!r} appears {len(where)} times; this last one wins", "duplicate"
        )
        for pid, where in seen.items()
        if len(where) > 1
    ]
    return list(latest.values()), issues
