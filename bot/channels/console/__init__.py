"""The terminal chat: python -m bot chat."""
