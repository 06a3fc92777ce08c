"""Reading a YAML node tree: a mapping's value, a sequence's items, a scalar's text."""

from __future__ import annotations

import yaml


def get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value of `key` in a mapping node, if it is one and has the key."""
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((value for k, value in node.value if k.value == key), None)


def items(node: yaml.Node | None) -> list[yaml.Node]:
    """The items of a sequence node (none for anything else)."""
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def scalar(node: yaml.Node | None) -> str | None:
    """The text of a scalar node."""
    return node.value if isinstance(node, yaml.ScalarNode) else None
