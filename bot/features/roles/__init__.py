"""Granting and revoking the trainer, coordinator and admin roles."""
