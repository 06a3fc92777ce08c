"""Lessons on a schedule: cohort rules, the tick that claims due work, reminders, pauses and
spaced review."""
