"""The wheel installs like a package: outside the source tree, `coach ask --json` and `coach serve` work."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, free_port

pytestmark = pytest.mark.server
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    if UV is None:
        pytest.fail("uv is missing: `make test` installs it into .venv")
    _run(UV, "build", "--wheel", "--quiet", "--out-dir", out, REPO, cwd=out)
    (found,) = out.glob("question_coach-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel and the locked dependencies (from uv's cache: no download in CI)."""
    if UV is None:
        pytest.fail("uv is missing: `make test` installs it into .venv")
    root = tmp_path_factory.mktemp("venv")
    requirements = root / "requirements.txt"
    requirements.write_text(
        _run(UV, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", cwd=REPO),
        encoding="utf-8",
    )
    venv = root / "venv"
    _run(UV, "venv", "--quiet", "--python", sys.executable, venv, cwd=root)
    _run(
        UV,
        "pip",
        "install",
        "--quiet",
        "--python",
        venv / "bin" / "python",
        "-r",
        requirements,
        wheel,
        cwd=root,
    )
    return venv


def _outside_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["COACH_DATA_DIR"] = str(tmp / "data")
    return env


def test_wheel_carries_prompts_and_package_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "coach/prompts/coach_step.md",
        "coach/prompts/question_bank.yaml",
        "coach/prompts/intro_templates.yaml",
        "vectorstore/sample_profiles.csv",
        "vectorstore/concepts.yaml",
    ):
        assert expected in names
    assert not any(name.startswith(("tests/", "benchmarks/")) for name in names)


def test_installed_coach_ask_runs_outside_the_source_tree(installed: Path, tmp_path: Path) -> None:
    env = _outside_env(tmp_path)
    where = _run(
        installed / "bin" / "python", "-c", "import coach; print(coach.__file__)", cwd=tmp_path, env=env
    )
    assert str(REPO) not in where
    out = _run(installed / "bin" / "coach", "ask", "I want to understand how publishing makes money", "--answer",
               "how it makes money", "--json", cwd=tmp_path, env=env)  # fmt: skip
    flow = json.loads(out)
    assert flow["mode"] == "offline"
    assert flow["questions"] and all(q["matches"] for q in flow["questions"])


@pytest.fixture
def served(installed: Path, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = _outside_env(tmp_path) | {"COACH_PORT": str(port)}
    process = subprocess.Popen(
        [str(installed / "bin" / "coach"), "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"coach serve exited: {process.stderr.read().decode()[-2000:] if process.stderr else ''}"
                )
            try:
                urllib.request.urlopen(url, timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("coach serve did not answer within 120 s")
                time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_installed_coach_serve_answers_outside_the_source_tree(served: str) -> None:
    with urllib.request.urlopen(served, timeout=10) as response:
        page = response.read().decode()
    assert response.status == 200
    assert "gradio" in page.lower()
