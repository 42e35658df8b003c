"""Text that is valid Unicode, whatever the edge it came through.

A shell hands Python bytes that are not UTF-8 as lone surrogates (`\udcff`), and JSON can spell them
(`"\ud800"`). Such a string cannot be encoded, so the first hash, tokenizer or database that sees it
fails. The edges (the CLI's arguments, every web handler's inputs) replace them with U+FFFD, once.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def as_unicode(value: object) -> object:
    """`value` with every lone surrogate in its strings (nested in lists, tuples and dicts) made U+FFFD;
    other objects (a session, a request) are passed through untouched."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    # Exactly these types: a subclass (a named tuple) may not rebuild from an iterable.
    if type(value) is list:
        return [as_unicode(item) for item in value]  # type: ignore[attr-defined]
    if type(value) is tuple:
        return tuple(as_unicode(item) for item in value)  # type: ignore[attr-defined]
    if type(value) is dict:
        return {as_unicode(key): as_unicode(item) for key, item in value.items()}
    return value
