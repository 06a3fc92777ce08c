"""Delivery: the durable outbox and the sender, the only road by which scheduled and bulk
messages leave the bot."""
