"""Chat history as plain (role, text) turns, whatever shape Gradio delivered it in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

Role = Literal["user", "assistant"]
_ROLES: frozenset[str] = frozenset({"user", "assistant"})


@dataclass(frozen=True)
class ChatTurn:
    """One message of the conversation as the user saw it."""

    role: Role
    text: str

    def as_message(self) -> dict[str, str]:
        """The dict a `gr.Chatbot` accepts as one message."""
        return {"role": self.role, "content": self.text}


def normalise_history(history: object) -> list[ChatTurn]:
    """Turns from any history shape; unknown roles, files and empty messages are dropped.

    Shapes seen in practice: `gradio_client` sends `{"role", "content": str}` dicts, a browser sends
    `content=[{"type": "text", "text": ...}]` plus `metadata`/`options`, and old code sends
    `[user, assistant]` pairs.
    """
    if not isinstance(history, Sequence) or isinstance(history, str | bytes):
        return []
    turns: list[ChatTurn] = []
    for item in history:
        if isinstance(item, Mapping):
            turns.extend(_from_message(item))
        elif isinstance(item, Sequence) and not isinstance(item, str | bytes) and len(item) == 2:
            for role, content in zip(("user", "assistant"), item, strict=True):
                text = content_text(content)
                if text:
                    turns.append(ChatTurn(role, text))  # type: ignore[arg-type]
    return turns


def as_messages(turns: Iterable[ChatTurn]) -> list[dict[str, str]]:
    return [turn.as_message() for turn in turns]


def content_text(content: object) -> str:
    """The text of one message's content: a string, a text part, or a list of parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        if content.get("type", "text") == "text" and isinstance(content.get("text"), str):
            return str(content["text"])
        return ""  # files and components carry no text the coach can use
    if isinstance(content, Sequence) and not isinstance(content, bytes):
        return "\n".join(text for part in content if (text := content_text(part)))
    return ""


def _from_message(message: Mapping[str, object]) -> list[ChatTurn]:
    role = message.get("role")
    if not isinstance(role, str) or role not in _ROLES:  # an API client can send any JSON here
        return []
    text = content_text(message.get("content"))
    return [ChatTurn(role, text)] if text else []  # type: ignore[arg-type]
