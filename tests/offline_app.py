"""The offline app on the sample organisation, served on loopback for tests that drive it from outside."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from coach.config import load_settings
from coach.journal.store import Journal
from coach.runtime import build_service, open_index, open_journal
from coach.web.app import build_ui, launch
from tests.conftest import free_port
from vectorstore.index import ExpertIndex
from vectorstore.models import ExpertProfile


@dataclass(frozen=True)
class OfflineApp:
    url: str
    index: ExpertIndex
    journal: Journal


@contextmanager
def offline_app(data_dir: Path, extra_profiles: Sequence[ExpertProfile] = ()) -> Iterator[OfflineApp]:
    """The real Gradio app with the offline coach (plus `extra_profiles` in its index), closed afterwards."""
    settings = load_settings(
        data_dir=data_dir, host="127.0.0.1", port=free_port(), openai_api_key=None, openai_base_url=None
    )
    index = open_index(settings)
    if extra_profiles:
        index.upsert(list(extra_profiles))
    journal = open_journal(settings)
    demo = build_ui(build_service(settings, index, journal), settings, "Offline coach")
    try:
        yield OfflineApp(
            url=launch(demo, settings, prevent_thread_lock=True, quiet=True), index=index, journal=journal
        )
    finally:
        demo.close()
        journal.close()
        index.close()
