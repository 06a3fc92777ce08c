"""Spaced review of earlier questions (FSRS) and /review."""
