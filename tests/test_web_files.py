"""The web app's temporary files: private, per session, named readably, and cleaned up."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from coach.models import Agenda, AgendaItem
from coach.web.files import (
    download_dir,
    file_stem,
    forget_session,
    private_root,
    write_agenda_files,
    write_private,
)
from vectorstore.models import ExpertProfile


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_private_folder_and_session_folders_are_owner_only() -> None:
    folder = download_dir("abc")
    assert mode(private_root()) == 0o700 and mode(folder) == 0o700 and mode(folder.parent) == 0o700
    assert folder.is_relative_to(private_root())


def test_session_folders_are_separate_and_cannot_escape() -> None:
    folder = download_dir("../../etc")
    assert folder.name == "etc" and ".." not in folder.parts
    assert download_dir("abc") != download_dir("xyz")


def test_written_files_are_0600_even_when_replacing_a_readable_one(tmp_path: Path) -> None:
    target = tmp_path / "journal.md"
    target.write_text("old", encoding="utf-8")
    os.chmod(target, 0o644)
    write_private(target, "new")
    assert target.read_text(encoding="utf-8") == "new" and mode(target) == 0o600


def test_a_closed_session_leaves_no_files() -> None:
    folder = download_dir("closing")
    write_private(folder / "a.md", "x")
    forget_session("closing")
    assert not folder.exists()


def test_stale_session_folders_go_when_a_new_session_starts() -> None:
    stale = download_dir("stale-one")
    long_ago = time.time() - 3 * 24 * 3600
    os.utime(stale, (long_ago, long_ago))
    download_dir("fresh-one")
    assert not stale.exists()


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("Andrés Castaño", "andres-castano"),
        ("Zoë <O'Brien>", "zoe-o-brien"),
        ("Łukasz Żółć", "lukasz-zolc"),
        ("王小明", "wang-xiao-ming"),
        ("Ðorđe Šćepanović", "dorde-scepanovic"),
        ("<script>", "script"),
        ("!!!", "expert"),
        ("A" * 60, "a" * 40),
    ],
)
def test_file_names_transliterate_accents(name: str, stem: str) -> None:
    assert file_stem(name, "expert") == stem


def test_agenda_files_are_named_after_the_expert_and_private(tmp_path: Path) -> None:
    agenda = Agenda(
        expert=ExpertProfile(id="p1", name="Andrés Castaño"),
        questions=["q"],
        minutes=20,
        items=[AgendaItem(minutes=20, title="talk")],
        markdown="# md\n",
        ics="BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
    )
    markdown, ics = write_agenda_files(agenda, tmp_path)
    assert markdown.name == "coffee-chat-andres-castano.md" and markdown.read_text() == "# md\n"
    assert ics is not None and ics.name == "coffee-chat-andres-castano.ics"
    assert ics.read_bytes().endswith(b"END:VCALENDAR\r\n") and mode(ics) == mode(markdown) == 0o600
    no_start = agenda.model_copy(update={"ics": ""})
    assert write_agenda_files(no_start, tmp_path)[1] is None


def test_old_empty_cache_folders_go_when_a_new_session_starts() -> None:
    cache = private_root() / "gradio"
    cache.mkdir(exist_ok=True)
    emptied, kept = cache / "swept-by-gradio", cache / "still-in-use"
    emptied.mkdir()
    kept.mkdir()
    (kept / "agenda.md").write_text("x", encoding="utf-8")
    long_ago = time.time() - 2 * 3600
    for folder in (emptied, kept):
        os.utime(folder, (long_ago, long_ago))
    download_dir("another-new-one")
    assert not emptied.exists() and kept.exists()
