"""The outside world: fetching a web page safely for the web audit."""
