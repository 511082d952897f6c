"""Reading budgets: what one file may make the readers allocate, checked before allocating it.

A small crafted file can claim huge arrays (a compressed HDF5 dataset of zeros, an EDF with ten
million one-sample records, a trigger with an edge every few samples). The readers compare what a
file claims with these budgets before reading or cutting anything and raise a
:class:`~ncs_emg.errors.FormatError` naming the file, the field and the limit.

The defaults hold any real nerve conduction study by a wide margin (a whole day of 8 continuous
channels at 1 kHz is 0.7 × 10^9 samples, over budget: raise the limit for such files):

================================  ==================  ================================================
budget                            default             counts
================================  ==================  ================================================
``max_samples``                   2**27 (134 217 728)  samples of all signals / datasets of one file
                                                      (1 GiB as float64)
``max_sweeps_per_site``           20 000              sweeps cut for one site or F-wave train
``max_records``                   2 000 000           EDF data records of one file
================================  ==================  ================================================

Raise them for a session with :func:`set_read_limits`, for a block with :func:`read_limits`, or on
the command line with ``--max-samples``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..errors import ParameterError

__all__ = ["ReadLimits", "get_read_limits", "set_read_limits", "read_limits", "DEFAULT_LIMITS"]


@dataclass(frozen=True)
class ReadLimits:
    """Budgets of one file read (see the module docstring for the defaults and their reasons).

    Attributes
    ----------
    max_samples : int
        Largest number of samples (all signals or datasets together) one file may hold.
    max_sweeps_per_site : int
        Largest number of sweeps one site (or F-wave train) may get.
    max_records : int
        Largest number of EDF data records one file may hold.
    """

    max_samples: int = 1 << 27
    max_sweeps_per_site: int = 20_000
    max_records: int = 2_000_000

    def __post_init__(self) -> None:
        for name in ("max_samples", "max_sweeps_per_site", "max_records"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ParameterError(f"ReadLimits.{name}: expected an integer >= 1, got {v!r}")

    def to_dict(self) -> dict[str, int]:
        """Plain-dict form."""
        return {
            "max_samples": self.max_samples,
            "max_sweeps_per_site": self.max_sweeps_per_site,
            "max_records": self.max_records,
        }


DEFAULT_LIMITS = ReadLimits()
_current = [DEFAULT_LIMITS]


def get_read_limits() -> ReadLimits:
    """The budgets in force."""
    return _current[-1]


def set_read_limits(**changes: int) -> ReadLimits:
    """Change budgets for the rest of the session (e.g. ``max_samples=2**30``); returns the new set.

    Raises
    ------
    ParameterError
        For an unknown budget name or a value that is not an integer >= 1.
    """
    valid = set(ReadLimits.__dataclass_fields__)
    bad = sorted(set(changes) - valid)
    if bad:
        raise ParameterError(f"read limits: unknown budget(s) {bad}; valid: {sorted(valid)}")
    _current[-1] = replace(_current[-1], **changes)
    return _current[-1]


@contextlib.contextmanager
def read_limits(**changes: int) -> Iterator[ReadLimits]:
    """Budgets changed for the duration of a ``with`` block.

    Examples
    --------
    >>> with read_limits(max_samples=10) as lim:
    ...     lim.max_samples
    10
    """
    valid = set(ReadLimits.__dataclass_fields__)
    bad = sorted(set(changes) - valid)
    if bad:
        raise ParameterError(f"read limits: unknown budget(s) {bad}; valid: {sorted(valid)}")
    _current.append(replace(_current[-1], **changes))
    try:
        yield _current[-1]
    finally:
        _current.pop()
