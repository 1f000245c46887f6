"""unclench: local-first help for muscles that won't let go."""

__version__ = "0.1.0"
