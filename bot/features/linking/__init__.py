"""One person on several channels: /link codes that join accounts."""
