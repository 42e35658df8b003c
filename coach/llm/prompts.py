"""Prompt templates read from prompts/*.md, with declared variables that are checked strictly."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from coach.errors import ConfigError

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_FRONT_MATTER = re.compile(r"\A---\n(?P<meta>.*?)\n---\n(?P<body>.*)\Z", re.DOTALL)
_SECTION = re.compile(r"^## (system|user|assistant)[ \t]*$", re.MULTILINE)
_ROLES: dict[str, type[BaseMessage]] = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
_META_KEYS = frozenset({"variables", "description"})


@dataclass(frozen=True)
class PromptTemplate:
    """One prompt file: its declared variables and its messages as str.format templates."""

    name: str
    variables: frozenset[str]
    sections: tuple[tuple[str, str], ...]

    def render(self, **values: object) -> list[BaseMessage]:
        """The chat messages with every declared variable filled in; values are never re-parsed."""
        missing = self.variables - values.keys()
        unknown = values.keys() - self.variables
        if missing or unknown:
            raise ConfigError(
                f"Prompt {self.name!r} declares {sorted(self.variables)}; "
                f"missing {sorted(missing)}, unknown {sorted(unknown)}. Pass exactly the declared variables."
            )
        text = {key: str(value) for key, value in values.items()}
        return [_ROLES[role](content=template.format_map(text)) for role, template in self.sections]

    to_messages = render


def parse_prompt(name: str, source: str) -> PromptTemplate:
    """Parse a prompt file's text; raises ConfigError on any mismatch between declared and used variables."""
    match = _FRONT_MATTER.match(source.replace("\r\n", "\n"))
    if match is None:
        raise ConfigError(f"Prompt {name!r} must start with front matter: ---\\nvariables: [...]\\n---")
    try:
        meta = yaml.safe_load(match["meta"]) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"Prompt {name!r} has unreadable front matter: {error}") from error
    if not isinstance(meta, dict) or not set(meta) <= _META_KEYS:
        raise ConfigError(f"Prompt {name!r}: front matter may only hold {sorted(_META_KEYS)}.")
    declared = meta.get("variables") or []
    if not isinstance(declared, list) or not all(isinstance(v, str) and _NAME.match(v) for v in declared):
        raise ConfigError(f"Prompt {name!r}: variables must be a list of lower_case names, got {declared!r}.")
    sections = _sections(name, match["body"])
    used: set[str] = set()
    for _, template in sections:
        used |= _placeholders(name, template)
    if used != set(declared):
        raise ConfigError(
            f"Prompt {name!r}: placeholders {sorted(used)} differ from declared variables {sorted(declared)}. "
            "Declare every {placeholder}, and write literal braces as {{ and }}."
        )
    return PromptTemplate(name=name, variables=frozenset(declared), sections=sections)


@lru_cache(maxsize=64)
def _load(path: Path) -> PromptTemplate:
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"Cannot read prompt {path}: {error}. Check COACH_PROMPTS_DIR.") from error
    return parse_prompt(path.stem, source)


def load_prompt(name: str, prompts_dir: Path) -> PromptTemplate:
    """The template in `prompts_dir/<name>.md`, parsed once per process."""
    if not _NAME.match(name):
        raise ConfigError(f"Prompt names are lower_case words, got {name!r}.")
    return _load((prompts_dir / f"{name}.md").resolve())


def _sections(name: str, body: str) -> tuple[tuple[str, str], ...]:
    heads = list(_SECTION.finditer(body))
    if not heads or body[: heads[0].start()].strip():
        raise ConfigError(f"Prompt {name!r}: the body must start with a '## system' or '## user' heading.")
    sections = []
    for head, nxt in zip(heads, [*heads[1:], None], strict=True):
        text = body[head.end() : nxt.start() if nxt else len(body)].strip()
        if not text:
            raise ConfigError(f"Prompt {name!r}: the '## {head[1]}' section is empty.")
        sections.append((head[1], text))
    return tuple(sections)


def _placeholders(name: str, template: str) -> set[str]:
    try:
        fields = [(field, spec, conv) for _, field, spec, conv in string.Formatter().parse(template)]
    except ValueError as error:
        raise ConfigError(f"Prompt {name!r}: {error}. Write literal braces as {{{{ and }}}}.") from error
    found = set()
    for field, spec, conversion in fields:
        if field is None:
            continue
        if not _NAME.match(field) or spec or conversion:
            raise ConfigError(
                f"Prompt {name!r}: placeholder {{{field}}} must be a plain lower_case name without format "
                "spec; write literal braces (e.g. in JSON examples) as {{ and }}."
            )
        found.add(field)
    return found
