"""What every channel adapter speaks. The types live in the core (bot.dialogue.events), so
the core never imports a channel; adapters import them from here."""

from bot.dialogue.events import (
    Button,
    EditSource,
    Handler,
    Image,
    Inbound,
    InboundKind,
    Message,
    Notice,
    Outbound,
    Turn,
)

__all__ = [
    "Button",
    "EditSource",
    "Handler",
    "Image",
    "Inbound",
    "InboundKind",
    "Message",
    "Notice",
    "Outbound",
    "Turn",
]
