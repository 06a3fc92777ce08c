"""Reloading the course content while the bot runs."""
