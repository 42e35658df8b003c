"""A real llama-cpp-python server with Gemma 3 270M, started on loopback (for the real-server test and benchmark).

The server and the model live outside the project's venv, where `.ci/llama-server.sh` puts them (a 9-minute
compile the first time, then pip's wheel cache): COACH_LLAMA_HOME, default ~/.cache/question-coach, holds
`llama-venv/` (llama-cpp-python[server]) and `models/gemma-3-270m-it-Q4_K_M.gguf`.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

HOME = Path(os.environ.get("COACH_LLAMA_HOME", Path.home() / ".cache" / "question-coach"))
PYTHON = HOME / "llama-venv" / "bin" / "python"
MODEL = HOME / "models" / "gemma-3-270m-it-Q4_K_M.gguf"
ALIAS = "gemma3-270m"
PREPARE = ".ci/llama-server.sh"


def missing() -> str | None:
    """Why the server cannot start here, or None when it can."""
    if not PYTHON.exists():
        return f"no llama-cpp-python server at {PYTHON}: run {PREPARE} (about 9 minutes the first time)"
    if not MODEL.exists():
        return f"no Gemma 3 270M model at {MODEL}: run {PREPARE}"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LlamaServer:
    """`python -m llama_cpp.server` on 127.0.0.1; a context manager that waits until it serves /v1/models.

    `--chat_format gemma` gives the model its own turn markers (the GGUF carries no chat template, and the
    llama-2 fallback confuses it); that format drops system messages, so clients set llm_system_role=false.
    """

    log_path: Path
    n_ctx: int = 8192
    startup_s: float = 120.0
    port: int = 0
    _process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> LlamaServer:
        self.port = self.port or _free_port()
        command = [
            str(PYTHON), "-m", "llama_cpp.server", "--model", str(MODEL), "--host", "127.0.0.1",
            "--port", str(self.port), "--n_ctx", str(self.n_ctx), "--model_alias", ALIAS,
            "--chat_format", "gemma",
        ]  # fmt: skip
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.startup_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"llama.cpp server exited with {self._process.returncode}; see {self.log_path}"
                )
            if self.models():
                return self
            time.sleep(0.5)
        self.__exit__(None, None, None)
        raise RuntimeError(f"llama.cpp server did not answer within {self.startup_s} s; see {self.log_path}")

    def models(self) -> list[str]:
        """The model ids the server lists, or [] while it is not up."""
        try:
            with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as response:
                return [m["id"] for m in json.loads(response.read())["data"]]
        except (OSError, urllib.error.URLError, ValueError, KeyError):
            return []

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)
        self._process = None
