"""One folder per thing the bot does; features meet through the kernel and the database."""
