"""The Profiles tab: upload a profile file, see the row-level report, then import it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from coach.web.context import Frame, WebContext, handler, notify, user_error, user_errors
from coach.web.files import make_private
from coach.web.report import import_report
from coach.web.session import ANY, CoachSession, staged_changes
from coach.web.tabs.people import PeopleTab
from vectorstore.profiles import FORMATS, load_profiles

_PROGRESS = gr.Progress()  # Gradio injects a live tracker where a handler's default is a Progress


@dataclass(frozen=True)
class ProfilesTab:
    size: gr.Markdown
    upload: gr.File
    preview: gr.Button
    report: gr.Markdown
    do_import: gr.Button


class ProfilesHandlers:
    """Previewing an upload against the index, and importing what it staged."""

    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx

    @handler
    def preview(self, path: str | None, session: CoachSession) -> tuple[Any, ...]:
        """Validate an upload and compare it with the index; nothing is written yet."""
        if not path:  # the file was removed: forget what it staged
            session.staged = []
            return (session, "", gr.update(visible=False))
        make_private(path)  # Gradio wrote the upload with the default mode
        name = Path(path).name
        settings, index = self.ctx.settings, self.ctx.service.index
        with user_errors():
            result = load_profiles(
                path,
                max_bytes=settings.max_file_bytes,
                max_rows=settings.max_rows,
                display_name=name,
            )
        session.staged, unchanged = staged_changes(index, result.profiles)
        added = sum(1 for p in session.staged if index.get(p.id) is None)
        report = import_report(name, result, added, len(session.staged) - added, unchanged)
        count = len(session.staged)
        button = gr.update(value=f"Import {count} profile{'s' if count != 1 else ''}", visible=count > 0)
        return (session, report, button)

    @handler
    def import_profiles(self, session: CoachSession, progress: gr.Progress = _PROGRESS) -> tuple[Any, ...]:
        """Index the previewed profiles with a progress bar; other users keep searching meanwhile."""
        if not session.staged:
            raise user_error("Nothing to import: upload a file and check the preview first.")

        def step(done: int, total: int) -> None:
            progress((done, total), desc="Indexing profiles", unit="profiles")

        index = self.ctx.service.index
        with user_errors():
            report = index.upsert(session.staged, progress=step)
        session.staged = []
        notify(f"Imported {len(report.added)} new and {len(report.updated)} updated profiles.")
        summary = f"**Imported:** {len(report.added)} new, {len(report.updated)} updated."
        facets = index.facets()
        return (
            session,
            summary,
            gr.update(visible=False),
            self.index_size(),
            gr.update(choices=[ANY, *facets["location"]]),
            gr.update(choices=[ANY, *facets["department"]]),
            gr.update(choices=[ANY, *facets["language"]]),
        )

    @handler
    def index_size(self) -> str:
        return f"**{self.ctx.service.index.count():,}** profiles in the index."


def layout(ctx: WebContext) -> ProfilesTab:
    """The limits, the index size, the upload, the report and the Import button (shown once staged)."""
    settings = ctx.settings
    with gr.Tab("Profiles", id="profiles", elem_id="qc-tab-profiles"):
        gr.Markdown(
            "### Expert profiles\nUpload a CSV, JSON, JSONL or YAML file with at least `id` and `name` "
            f"(at most {settings.max_file_mb:g} MB and {settings.max_rows:,} rows). "
            "You see what would change before anything is imported."
        )
        size = gr.Markdown(ProfilesHandlers(ctx).index_size, elem_id="qc-index-size")
        upload = gr.File(
            label="Profile file", file_types=sorted(FORMATS), type="filepath", elem_id="qc-upload"
        )
        preview = gr.Button("Preview", size="sm", elem_id="qc-preview")
        report = gr.Markdown(elem_id="qc-report")
        do_import = gr.Button("Import", variant="primary", visible=False, elem_id="qc-import")
    return ProfilesTab(size, upload, preview, report, do_import)


def wire(ctx: WebContext, frame: Frame, tab: ProfilesTab, people: PeopleTab) -> None:
    """Preview on upload or on click; one import at a time, which refreshes the People filters."""
    ui = ProfilesHandlers(ctx)
    offline = ctx.offline
    staged_out = [frame.session, tab.report, tab.do_import]
    preview_in = [tab.upload, frame.session]
    tab.upload.change(ui.preview, preview_in, staged_out, api_visibility="private", **offline)
    tab.preview.click(ui.preview, preview_in, staged_out, api_name="preview_profiles", **offline)
    tab.do_import.click(
        ui.import_profiles,
        frame.session,
        [
            frame.session,
            tab.report,
            tab.do_import,
            tab.size,
            people.location,
            people.department,
            people.language,
        ],
        api_name="import_profiles",
        concurrency_id="index-write",
        concurrency_limit=1,
        show_progress_on=tab.report,  # the progress bar, and nothing covering the People filters
    )
