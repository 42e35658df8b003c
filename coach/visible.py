"""What a reader sees of untrusted text: no invisible characters, compatibility forms folded.

Invisible characters carry attacks past checks that compare text: zero-width spaces split a domain
(`ev\u200bil.example`) or a name, bidi controls reorder what is shown, Unicode tag characters
(U+E0000-U+E007F) spell whole instructions that a model reads and a person does not, fillers make a field
look empty. Every check on text, and every text placed in a prompt, works on `visible_text(text)`.
"""

from __future__ import annotations

import unicodedata

# Default-ignorable code points outside category Cf: fillers, the combining grapheme joiner, variation
# selectors (Unicode's DerivedCoreProperties, Default_Ignorable_Code_Point).
_IGNORABLE = frozenset(
    {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0}
    | set(range(0x180B, 0x1810))
    | set(range(0xFE00, 0xFE10))
    | set(range(0xE0100, 0xE01F0))
)


def invisible(char: str) -> bool:
    """A format character (zero-width, bidi control, tag, soft hyphen, BOM) or another default-ignorable."""
    return unicodedata.category(char) == "Cf" or ord(char) in _IGNORABLE


def visible_text(text: str) -> str:
    """`text` as shown: NFKC-folded (full-width and mathematical letters become plain ones), invisibles gone."""
    if text.isascii():
        return text
    folded = unicodedata.normalize("NFKC", text)
    return "".join(char for char in folded if not invisible(char))
