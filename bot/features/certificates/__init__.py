"""Certificates of completion that anyone can verify (issue 16)."""
