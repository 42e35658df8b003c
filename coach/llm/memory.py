"""Which request shape each server and model took, so the next call starts there instead of probing again."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from coach.llm.shapes import SHAPES, Shape


@dataclass(frozen=True)
class Server:
    """A chat model behind a URL: what the shape memory is keyed by."""

    base_url: str
    model: str

    def __str__(self) -> str:
        return f"{self.model} @ {self.base_url}"


class ShapeMemory:
    """Per server and model, the first shape worth trying; thread-safe, kept for the life of the process.

    A refused shape moves the start past it; an accepted one pins the start there. When every shape was
    refused the refusals were about that request rather than the shapes, so the server is forgotten.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._start: dict[Server, int] = {}

    def shapes(self, server: Server) -> tuple[Shape, ...]:
        """The shapes to try for `server`, best known first."""
        with self._lock:
            return SHAPES[self._start.get(server, 0) :]

    def accepted(self, server: Server, shape: Shape) -> None:
        with self._lock:
            self._start[server] = SHAPES.index(shape)

    def refused(self, server: Server, shape: Shape) -> None:
        with self._lock:
            following = SHAPES.index(shape) + 1
            if following < len(SHAPES):
                self._start[server] = max(self._start.get(server, 0), following)

    def forget(self, server: Server) -> None:
        with self._lock:
            self._start.pop(server, None)

    def known(self) -> dict[str, str]:
        """Each server's starting shape, e.g. {"gemma3 @ http://127.0.0.1:8080/v1": "json_object+schema"}."""
        with self._lock:
            return {str(server): SHAPES[start].value for server, start in self._start.items()}
