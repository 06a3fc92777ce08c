"""Culture Coach: a chatbot that coaches culture workers through an internet course."""

__version__ = "0.1.0"
