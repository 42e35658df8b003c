"""What "renders as text" means, checked with a CommonMark renderer that lets raw HTML through.

Anything the escaping misses would come out of it as a tag, a link or an image, so a test renders an
export and asks two things: nothing active appeared, and every piece of user text reads back unchanged.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

RENDER = MarkdownIt("commonmark", {"html": True})
# The markup the exports themselves write; user text may add none, and no tag carries an attribute.
PLAIN_TAGS = {"p", "h1", "h2", "h3", "ul", "li", "em", "strong", "br"}
TAG = re.compile(r"<[^>]*>")
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Fragments that turn text into markup if they are not escaped, mixed into random text.
MARKUP = [
    "<img src=//evil.example/p.png>",
    "<script>alert(1)</script>",
    "[click](https://evil.example/?q=",
    "![x](https://evil.example/p.png)",
    "<https://evil.example>",
    "[ref]: https://evil.example",
    "**bold**",
    "_em_",
    "`code`",
    "# heading",
    "- item",
    "1. item",
    "> quote",
    "---",
    "| a | b |",
    "&amp;",
    "&lt;b&gt;",
    "\\",
    "\n\n",
    "    indented",
    "<!-- c -->",
    "<svg onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '=HYPERLINK("https://evil.example")',
]
hostile_text = st.lists(
    st.one_of(
        st.sampled_from(MARKUP),
        st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20),
    ),
    min_size=1,
    max_size=6,
).map("".join)


def visible_text(markdown: str) -> str:
    """What a reader sees: the rendered HTML without its tags, entities decoded, whitespace collapsed."""
    shown = html.unescape(TAG.sub(" ", RENDER.render(markdown)))
    return " ".join(shown.split())


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.seen: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append((tag, attrs))

    def handle_comment(self, data: str) -> None:
        self.seen.append(("!--", []))

    def handle_pi(self, data: str) -> None:
        self.seen.append(("?", []))

    def handle_decl(self, decl: str) -> None:
        self.seen.append(("!", []))


def assert_inert(markdown: str) -> None:
    """No tag but the exports' own, no attribute (so no link, image, handler or style), no comment."""
    rendered = RENDER.render(markdown)
    parser = _Tags()
    parser.feed(rendered)
    parser.close()
    odd = [(tag, attrs) for tag, attrs in parser.seen if tag not in PLAIN_TAGS or attrs]
    assert odd == [], rendered[:500]


def reads_back(text: str) -> str:
    """How a piece of user text should read in the rendered page: on one line, as typed.

    CommonMark replaces NUL with U+FFFD (a security rule of the spec), so that one character changes."""
    return " ".join(text.replace("\x00", "\ufffd").split())
