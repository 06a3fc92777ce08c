"""What every channel adapter speaks. The types live in the core (bot.dialogue.events), so
the core never imports a channel; adapters import them from here."""

from bot.dialogue.events import (
    Button,
    Document,
    EditSource,
    Handler,
    Image,
    Inbound,
    InboundKind,
    Media,
    Message,
    Notice,
    Outbound,
    Photo,
    Turn,
)

__all__ = [
    "Button",
    "Document",
    "EditSource",
    "Handler",
    "Image",
    "Inbound",
    "InboundKind",
    "Media",
    "Message",
    "Notice",
    "Outbound",
    "Photo",
    "Turn",
]
