"""The ncs_emg exception and warning family.

Every error the package raises on purpose is an :class:`NcsEmgError`. Messages name the file, field or
parameter, the bad value, and what would have been valid.
"""

from __future__ import annotations

__all__ = [
    "NcsEmgError",
    "ParameterError",
    "FormatError",
    "UnitError",
    "NotAvailableError",
    "NcsEmgWarning",
]


class NcsEmgError(Exception):
    """Base class of every error raised by ncs_emg."""


class ParameterError(NcsEmgError, ValueError):
    """A caller passed a value that is out of range, of the wrong shape, or not finite."""


class FormatError(NcsEmgError, ValueError):
    """A file is not a readable study, or a field in it is missing or malformed."""


class UnitError(NcsEmgError, ValueError):
    """A unit string is not one ncs_emg knows; units are never guessed."""


class NotAvailableError(NcsEmgError, NotImplementedError):
    """A named capability (for example a criteria set) is not encodable yet."""


class NcsEmgWarning(UserWarning):
    """Something odd but recoverable happened; the result says how it was handled."""
