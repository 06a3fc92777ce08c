"""The turn: one update in, its replies written to the outbox in the same transaction, then sent."""
