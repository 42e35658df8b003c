"""Chat history from every shape Gradio delivers it in becomes the same plain turns."""

from __future__ import annotations

import pytest

from coach.web.history import ChatTurn, as_messages, content_text, normalise_history

USER = ChatTurn("user", "I want a mentor")
COACH = ChatTurn("assistant", "What about it?")


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        pytest.param(None, [], id="none"),
        pytest.param("not a list", [], id="string"),
        pytest.param([], [], id="empty"),
        pytest.param(
            [
                {"role": "user", "content": "I want a mentor"},
                {"role": "assistant", "content": "What about it?"},
            ],
            [USER, COACH],
            id="gradio_client strings",
        ),
        pytest.param(
            [
                {"role": "user", "content": [{"type": "text", "text": "I want a mentor"}], "metadata": None},
                {
                    "role": "assistant",
                    "content": [{"type": "text", "text": "What about it?"}],
                    "options": [{"value": "money", "label": "money"}],
                },
            ],
            [USER, COACH],
            id="browser content parts",
        ),
        pytest.param(
            [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}],
            [ChatTurn("user", "a\nb")],
            id="several text parts",
        ),
        pytest.param(
            [{"role": "user", "content": [{"type": "file", "file": {"path": "/tmp/x.png"}}]}],
            [],
            id="file only",
        ),
        pytest.param([["I want a mentor", "What about it?"]], [USER, COACH], id="old pairs"),
        pytest.param([["I want a mentor", None]], [USER], id="pair awaiting reply"),
        pytest.param(
            [{"role": "system", "content": "secret"}, {"role": "user", "content": ""}, 42],
            [],
            id="unknown roles, blanks and junk",
        ),
    ],
)
def test_normalise_history(history: object, expected: list[ChatTurn]) -> None:
    assert normalise_history(history) == expected


def test_as_messages_round_trips() -> None:
    messages = as_messages([USER, COACH])
    assert messages == [
        {"role": "user", "content": "I want a mentor"},
        {"role": "assistant", "content": "What about it?"},
    ]
    assert normalise_history(messages) == [USER, COACH]


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("hi", "hi"),
        ({"type": "text", "text": "hi"}, "hi"),
        ({"text": "hi"}, "hi"),
        ({"type": "component", "value": "x"}, ""),
        (None, ""),
        (3, ""),
    ],
)
def test_content_text(content: object, text: str) -> None:
    assert content_text(content) == text
