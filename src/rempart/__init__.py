"""rempart: the software of a shared cybersecurity technical center for small businesses."""

__version__ = "0.1.0"
