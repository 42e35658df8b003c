"""Composition root: settings -> index -> coach -> web UI -> launch (`python app.py` or `make run`).

The wiring itself is `coach.runtime.serve`, shared with `coach serve`, so an installed package serves the
same app without this file.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from coach.config import load_settings
from coach.runtime import serve

if __name__ == "__main__":
    serve(load_settings())
