"""Messenger's form and limits: texts, choices, events in, signatures, the 24-hour window."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.channels.messenger.adapter import (
    MessengerSender,
    inbound_events,
    signature_valid,
    to_inbound,
)
from bot.channels.messenger.render import Upload, render, split_text
from bot.kernel.messages import Button, EditSource, InboundKind, Message, Notice, Photo
from tests.fakes.graph_api import FakeMessengerUser, page_body, sign

SECRET = "app-secret-123"
NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


def test_long_text_is_split_at_paragraphs_within_2000_characters() -> None:
    paragraphs = [f"Paragraph {n}: " + "žodis " * 60 for n in range(12)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    pieces = split_text(text)
    assert len(pieces) > 1 and all(len(piece) <= 2000 for piece in pieces)
    assert all(piece.endswith("žodis") for piece in pieces)  # never cut inside a paragraph
    assert "\n\n".join(pieces) == text


def test_a_paragraph_longer_than_the_limit_is_cut_at_a_space() -> None:
    pieces = split_text("ab " * 1500)
    assert all(len(piece) <= 2000 for piece in pieces)
    assert "".join(pieces).replace(" ", "") == "ab" * 1500


def test_html_becomes_plain_text_with_link_addresses() -> None:
    (part,) = render([Message('<b>Sveiki</b> &amp; <a href="https://e.lt/?a=1&amp;b=2">čia</a>')])
    assert part == {"text": "Sveiki & čia (https://e.lt/?a=1&b=2)"}


def test_short_choices_become_quick_replies() -> None:
    buttons = tuple((Button(f"Option {n}", f"q:1:{n}"),) for n in range(13))
    (part,) = render([Message("Choose", buttons)])
    assert isinstance(part, dict)
    assert [q["payload"] for q in part["quick_replies"]] == [f"q:1:{n}" for n in range(13)]
    assert all(len(q["title"]) <= 20 for q in part["quick_replies"])


def test_long_labels_are_numbered_in_the_text_and_the_quick_replies_carry_numbers() -> None:
    long_label = "A label far longer than twenty characters"
    (part,) = render(
        [Message("Which one?", ((Button(long_label, "q:a"), Button("Short", "q:b")),))]
    )
    assert isinstance(part, dict)
    assert part["text"] == f"Which one?\n\n1. {long_label}\n2. Short"
    assert [(q["title"], q["payload"]) for q in part["quick_replies"]] == [
        ("1", "q:a"),
        ("2", "q:b"),
    ]


def test_more_than_13_choices_become_button_templates_of_three() -> None:
    buttons = tuple((Button(f"Choice number {n}", f"p:{n}"),) for n in range(14))
    parts = render([Message("Many", buttons)])
    templates = [
        p["attachment"]["payload"] for p in parts if isinstance(p, dict) and "attachment" in p
    ]
    assert [len(t["buttons"]) for t in templates] == [3, 3, 3, 3, 2]
    payloads = [b["payload"] for t in templates for b in t["buttons"]]
    assert payloads == [f"p:{n}" for n in range(14)]
    assert all(len(b["title"]) <= 20 for t in templates for b in t["buttons"])


def test_edits_notices_and_files() -> None:
    parts = render(
        [
            Notice(""),
            Notice("Pick one first."),
            EditSource("asked\n\n👉 Your answer: B"),  # only marks the answer: left out
            EditSource("Question", ((Button("☑️ A", "t:1:a"),),)),  # new ticks: sent anew
            Photo(b"\x89PNG", "chart.png", "<i>Chart</i>"),
        ]
    )
    assert parts[0] == {"text": "Pick one first."}
    assert isinstance(parts[1], dict) and parts[1]["quick_replies"][0]["payload"] == "t:1:a"
    assert parts[2] == Upload("image", b"\x89PNG", "chart.png")
    assert parts[3] == {"text": "Chart"}


def test_events_become_inbound_and_echoes_are_ignored() -> None:
    ana = FakeMessengerUser("psid-ana")
    text, quick = ana.text("Labas"), ana.quick_reply("Taip", "lang:lt")
    postback, started = ana.postback("Next", "cmd:next"), ana.postback("Start", "GET_STARTED")
    echo = {**ana.text("from the page"), "message": {"mid": "m_echo", "is_echo": True}}
    inbounds = inbound_events(page_body(text, quick, echo, postback, started))
    assert [(i.kind, i.text, i.payload) for i in inbounds] == [
        (InboundKind.TEXT, "Labas", ""),
        (InboundKind.BUTTON, "", "lang:lt"),
        (InboundKind.BUTTON, "", "cmd:next"),
        (InboundKind.TEXT, "/start", ""),
    ]
    assert all(i.channel == "messenger" and i.user_id == "psid-ana" for i in inbounds)
    assert all(i.update_id and len(i.update_id) <= 64 for i in inbounds)
    assert to_inbound(text) == to_inbound(text)  # the same message id: the same key
    sticker = {**ana.text(""), "message": {"mid": "m_s", "attachments": [{"type": "image"}]}}
    assert to_inbound(sticker) is not None and to_inbound(sticker).kind is InboundKind.OTHER  # type: ignore[union-attr]


def test_signature_is_the_hmac_of_the_raw_body() -> None:
    body = json.dumps(page_body(FakeMessengerUser("p").text("hi"))).encode()
    assert signature_valid(body, sign(body, SECRET), SECRET)
    assert not signature_valid(body, sign(body, "other-secret"), SECRET)
    assert not signature_valid(body + b" ", sign(body, SECRET), SECRET)
    assert not signature_valid(body, None, SECRET)
    assert not signature_valid(body, sign(body, SECRET).replace("sha256=", "sha1="), SECRET)


def test_the_24_hour_window() -> None:
    sender = MessengerSender(api=None)  # type: ignore[arg-type]
    assert sender.defer_until(NOW - timedelta(hours=23), NOW) is None
    held = sender.defer_until(NOW - timedelta(hours=24, minutes=1), NOW)
    assert held is not None and held > NOW
    assert sender.defer_until(NOW - timedelta(hours=23, minutes=55), NOW) is not None  # margin
    assert sender.defer_until(None, NOW) is not None
