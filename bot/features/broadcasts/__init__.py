"""A trainer's announcement to many, delivered through the outbox, with its report."""
