"""Composition root: settings -> index -> coach -> UI -> launch (`python app.py` or `make run`)."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from coach.config import load_settings
from coach.runtime import build_service, mode_label, open_index, open_journal


def main() -> None:
    from coach.ui import build_ui, launch

    settings = load_settings()
    settings.check_exposure()
    index = open_index(settings)
    service = build_service(settings, index, open_journal(settings))
    launch(build_ui(service, settings, mode_label(settings)), settings)


if __name__ == "__main__":
    main()
