"""Outbound messages to JSON and back, so an outbox row survives a restart.

Generic over the dataclasses of bot/kernel/messages.py: any Outbound type added there (with
plain, bytes, tuple or Button fields) is stored without a change here."""

from __future__ import annotations

import base64
import dataclasses
import functools
from collections.abc import Sequence
from typing import Any, cast

from bot.kernel import messages as events
from bot.kernel.messages import Outbound

TYPE_KEY = "type"
BYTES_KEY = "b64"


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        encoded = {TYPE_KEY: type(value).__name__}
        for name in _field_names(type(value)):
            encoded[name] = _encode(getattr(value, name))
        return encoded
    if isinstance(value, bytes):
        return {BYTES_KEY: base64.b64encode(value).decode("ascii")}
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode(item) for item in value)
    if isinstance(value, dict):
        if BYTES_KEY in value and len(value) == 1:
            return base64.b64decode(value[BYTES_KEY])
        kind = value.get(TYPE_KEY)
        cls = getattr(events, kind, None) if isinstance(kind, str) else None
        if cls is None or not dataclasses.is_dataclass(cls):
            raise ValueError(f"unknown outbound type {kind!r}")
        return cast(Any, cls)(**{k: _decode(v) for k, v in value.items() if k != TYPE_KEY})
    return value


def dump_replies(replies: Sequence[Outbound]) -> list[Any]:
    """The replies as JSON-ready data."""
    return [_encode(reply) for reply in replies]


def load_replies(data: Sequence[Any]) -> list[Outbound]:
    """The replies back from JSON data (ValueError on an unknown type)."""
    return [_decode(item) for item in data]
