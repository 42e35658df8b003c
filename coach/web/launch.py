"""Serving the app: the queue and its limits, the upload limit, the login, the theme and the styles."""

from __future__ import annotations

import gradio as gr

from coach.config import Settings
from coach.web.cards import CSS, HEAD
from coach.web.context import OFFLINE_LIMIT, QUEUE_MAX


def theme() -> gr.themes.Base:
    """System fonts only: the page must not fetch fonts from the internet."""
    system = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
    return gr.themes.Soft(primary_hue="indigo", neutral_hue="slate", font=system, font_mono=mono)


def launch(
    demo: gr.Blocks, settings: Settings, *, prevent_thread_lock: bool = False, quiet: bool = False
) -> str:
    """Serve the app on settings.host:port with a bounded queue, the upload limit and the login if set."""
    demo.queue(default_concurrency_limit=OFFLINE_LIMIT, max_size=QUEUE_MAX)
    _, url, _ = demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=settings.auth_pair(),
        max_file_size=settings.max_file_bytes,
        blocked_paths=[str(settings.data_dir.resolve())],
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
        ssr_mode=False,
        footer_links=[],
        theme=theme(),
        css=CSS,
        head=HEAD,
    )
    return str(url)
