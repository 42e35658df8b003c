"""The error hierarchy; every message says how to fix the problem."""


class CoachError(Exception):
    """Base class for every error the app reports to a user."""


class ConfigError(CoachError):
    """A setting is missing or invalid."""


class CoachInputError(CoachError, ValueError):
    """User input is too long, empty or otherwise unusable."""


class ProfileError(CoachError):
    """A profile file cannot be read at all (nothing was changed)."""


class IndexBusyError(CoachError):
    """Another process owns the embedded index directory."""


class IndexStateError(CoachError):
    """The expert index is missing, corrupt or built with another embedding."""


class LLMUnavailable(CoachError):
    """The configured LLM failed; the caller falls back to the offline coach."""


class IndexUnavailableError(IndexStateError):
    """The index's storage (a Chroma server, or the disk) cannot be reached or written right now."""
