"""Prompt files: strict variables, literal braces, and every prompt in prompts/ renders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from coach.config import PROMPTS_DIR
from coach.errors import ConfigError
from coach.llm.prompts import load_prompt, parse_prompt

GOOD = """---
variables: [wish, count]
---
## system
Reply as JSON: {{"questions": []}} with {count} items.
## user
<wish>{wish}</wish>
"""


LLM_TASKS = frozenset({"coach_step", "intro_message", "query_rewrite", "rerank", "what_next"})


def prompt_files() -> list[Path]:
    return sorted(p for p in PROMPTS_DIR.glob("*.md") if p.read_text(encoding="utf-8").startswith("---\n"))


def test_the_repo_has_one_prompt_per_llm_task() -> None:
    names = {p.stem for p in prompt_files()}

    assert names >= LLM_TASKS


@pytest.mark.parametrize("path", prompt_files(), ids=lambda p: p.stem)
def test_every_prompt_renders_with_dummy_values(path: Path) -> None:
    template = load_prompt(path.stem, PROMPTS_DIR)
    values = {name: f"<{name.upper()}-VALUE>" for name in template.variables}

    messages = template.render(**values)

    text = "\n".join(str(m.content) for m in messages)
    assert isinstance(messages[-1], HumanMessage)
    for value in values.values():
        assert value in text
    # Every brace left after rendering is a literal one from a JSON example, written {{ }} in the file.
    assert not re.search(r"\{[a-z_]+\}", text)
    if path.stem in LLM_TASKS:
        assert isinstance(messages[0], SystemMessage)
        assert "JSON" in text, "json_mode needs the word JSON in the prompt"


def test_render_fills_values_without_reparsing_them() -> None:
    template = parse_prompt("demo", GOOD)

    messages = template.render(wish="learn {count} and {unknown}", count=3)

    assert messages[0].content == 'Reply as JSON: {"questions": []} with 3 items.'
    assert messages[1].content == "<wish>learn {count} and {unknown}</wish>"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"wish": "x"}, r"missing \['count'\]"),
        ({"wish": "x", "count": 1, "extra": 2}, r"unknown \['extra'\]"),
    ],
)
def test_render_fails_loudly_on_missing_or_unknown_values(values: dict[str, object], message: str) -> None:
    template = parse_prompt("demo", GOOD)

    with pytest.raises(ConfigError, match=message):
        template.render(**values)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("## system\nhi", "front matter"),
        ("---\nvariables: [a]\n---\n## system\n{a} {b}", "differ from declared"),
        ("---\nvariables: [a, b]\n---\n## system\n{a}", "differ from declared"),
        ('---\nvariables: []\n---\n## system\nJSON: {"a": 1}', "placeholder"),
        ("---\nvariables: [a]\n---\n## system\n{a!r}", "plain lower_case name"),
        ("---\nvariables: [a]\n---\n## system\n{a:>10}", "plain lower_case name"),
        ("---\nvariables: []\n---\n## system\nunbalanced {", "literal braces"),
        ("---\nvariables: [Bad-Name]\n---\n## system\nx", "lower_case names"),
        ("---\nvariables: []\nmodel: gpt\n---\n## system\nx", "may only hold"),
        ("---\nvariables: []\n---\npreamble\n## system\nx", "must start with"),
        ("---\nvariables: []\n---\n## system\n\n## user\nx", "section is empty"),
        ("---\nvariables: [a\n---\n## system\nx", "unreadable front matter"),
    ],
)
def test_parse_rejects_broken_prompt_files(source: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_prompt("broken", source)


def test_roles_map_to_message_types_in_order() -> None:
    source = "---\nvariables: []\n---\n## system\nS\n## user\nU\n## assistant\nA\n## user\nU2\n"

    messages = parse_prompt("fewshot", source).render()

    assert [type(m) for m in messages] == [SystemMessage, HumanMessage, AIMessage, HumanMessage]
    assert [m.content for m in messages] == ["S", "U", "A", "U2"]


def test_load_prompt_reads_once_and_names_the_file_when_missing(tmp_path: Path) -> None:
    (tmp_path / "demo.md").write_text(GOOD, encoding="utf-8")

    first = load_prompt("demo", tmp_path)
    (tmp_path / "demo.md").write_text("broken now", encoding="utf-8")

    assert load_prompt("demo", tmp_path) is first
    with pytest.raises(ConfigError, match=r"absent\.md"):
        load_prompt("absent", tmp_path)


@pytest.mark.parametrize("name", ["../secrets", "Coach_Step", "a/b", ""])
def test_load_prompt_refuses_names_that_are_not_plain_words(name: str) -> None:
    with pytest.raises(ConfigError, match="lower_case words"):
        load_prompt(name, PROMPTS_DIR)
