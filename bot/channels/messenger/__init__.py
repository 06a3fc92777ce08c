"""Facebook Messenger: webhook events in, Send API messages out."""
