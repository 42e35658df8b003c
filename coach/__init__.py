"""question-coach: micro-mentorship, one good question at a time."""

__version__ = "0.1.0"
