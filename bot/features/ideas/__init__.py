"""Improvement ideas carried out step by step, the group's gallery and the trainers' view."""
