"""YAML with bounded expansion: aliases may repeat a value, but not blow a small file up into a huge one.

`yaml.safe_load` keeps aliased nodes shared, so a 400-byte "billion laughs" file loads quickly and then
explodes in whatever walks it (validation, JSON encoding). Here the composed node graph is measured
first, counting every alias as the full size of what it repeats (memoised, so measuring is linear in the
file), and the document is refused before anything is built when its expanded size is out of proportion
to the file, or when an alias refers to itself.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from coach.errors import ProfileError

EXPANSION_FACTOR = 4  # expanded size may be this many times the file's own size ...
EXPANSION_FLOOR = 1_000_000  # ... or this many characters, whichever is larger

SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present


def load_yaml(text: str, name: str) -> Any:
    """Parse one YAML document safely; ProfileError when aliases would expand it beyond the bound."""
    loader = SAFE_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        budget = max(EXPANSION_FACTOR * len(text), EXPANSION_FLOOR)
        try:
            size = expanded_size(node, budget)
        except RecursionError:
            raise ProfileError(
                f"{name}: the YAML refers to itself through an alias; write the values out"
            ) from None
        if size > budget:
            raise ProfileError(
                f"{name}: its YAML aliases (*name) expand it to more than {budget:,} characters; "
                "write the repeated values out, or use CSV, JSON or JSONL"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def expanded_size(root: Node, budget: int) -> int:
    """Characters the document would have with every alias written out, capped just above `budget`.

    Raises RecursionError when an alias refers to a node that contains it (the document is infinite).
    """
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        if isinstance(node, ScalarNode):
            sizes[key] = len(str(node.value)) + 1
            continue
        kids = _children(node)
        if not children_done:
            if key in visiting:
                raise RecursionError("alias cycle")
            visiting.add(key)
            stack.append((node, True))
            for kid in kids:
                if id(kid) in visiting:
                    raise RecursionError("alias cycle")
                if id(kid) not in sizes:
                    stack.append((kid, False))
            continue
        visiting.discard(key)
        sizes[key] = min(1 + sum(sizes[id(kid)] for kid in kids), budget + 1)
    return sizes[id(root)]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []
