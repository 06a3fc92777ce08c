"""What a channel adapter gives the outbox: a sender, and its failures in one vocabulary."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Protocol

from bot.kernel.messages import Outbound


class DeliveryKind(StrEnum):
    """Why a send did not go through."""

    BLOCKED = "blocked"  # the person blocked the bot (403): skip them until they write again
    RETRY = "retry"  # rate limited (429, with retry_after), 5xx or a timeout: try again later
    HELD = "held"  # the platform refuses this one recipient for now (outside a window)
    FAILED = "failed"  # refused for good (a bad request): give up on this message


class DeliveryError(Exception):
    """A channel adapter's report of a failed send. `retry_after` with RETRY: the platform
    said when to come back (a 429): the whole platform waits that long."""

    def __init__(
        self, kind: DeliveryKind, reason: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{kind}: {reason}")
        self.kind = kind
        self.reason = reason
        self.retry_after = retry_after


class ChannelSender(Protocol):
    """A channel adapter's sending side. `source` (replies only) says what the person pressed:
    {"message_id": the message to edit, "ack_id": the press to acknowledge}. It may also
    define ``defer_until(last_inbound_at, now) -> datetime | None`` to hold messages (None:
    send now), and ``post(external_id, text) -> message id`` with
    ``edit(external_id, message_id, text)`` to keep one message up to date (a broadcast's
    live progress)."""

    channel: str

    async def send(
        self,
        external_id: str,
        replies: Sequence[Outbound],
        source: dict[str, Any] | None = None,
    ) -> None:
        """Send the replies to one person, in order; DeliveryError if it cannot."""
        ...
