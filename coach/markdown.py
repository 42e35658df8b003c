"""Untrusted text made literal in Markdown: the one escaping every Markdown export and view builds on.

Profile fields, wishes, questions and journal notes are data. Whatever Markdown renders them (the web app,
a downloaded agenda or journal opened in an editor, a terminal viewer), they must come out as the same
characters, never as a tag, a link, an image, emphasis or a list. Sits beside `coach.models` at the bottom
of the import graph, so the agenda, the journal and the web app can all use it.
"""

from __future__ import annotations

import re

from coach.clauses import single_line

__all__ = ["escape_markdown", "single_line"]

# `&`, `<` and `>` become entities because some Markdown renderers do not honour `\<`.
_HTML_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MD_INLINE = re.compile(r"([\\`*_{}\[\]()!|~#])")
# At the start of a line these make a list or a heading underline. An ordered marker is defused by
# escaping its `.`: a backslash before a digit is not an escape, and would show.
_MD_LINE_START = re.compile(r"^(\s*(?:\d+)?)([-+=.)])")


def escape_markdown(text: str) -> str:
    """Inline text that renders literally in Markdown and HTML: no tags, links, images or emphasis."""
    text = single_line(text)
    text = "".join(_HTML_ENTITIES.get(char, char) for char in text)
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_LINE_START.sub(r"\1\\\2", text)
