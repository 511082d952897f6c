"""One anatomy table: side, nerve and muscle recognised in a signal label.

Vendor exports label channels freely (``"R Median APB"``, ``"EMG APB"``, ``"Lt. Peron. EDB"``). The
table below maps words to a side, a nerve or a recorded muscle; a muscle also names the nerve that
is usually stimulated to record it in a motor conduction study (APB → median; ADM/ADQ and FDI →
ulnar; EDB and TA → peroneal; AH → tibial). What was inferred is returned so the reader can report
it; a sidecar always overrides it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["LabelInfo", "infer_from_label", "NERVE_WORDS", "MUSCLES", "SIDE_WORDS"]

#: Word (lower case) → nerve name.
NERVE_WORDS = {
    "median": "median", "med": "median",
    "ulnar": "ulnar", "uln": "ulnar",
    "peroneal": "peroneal", "peron": "peroneal", "per": "peroneal", "fibular": "peroneal",
    "fib": "peroneal", "cpn": "peroneal", "dpn": "peroneal",
    "tibial": "tibial", "tib": "tibial",
    "radial": "radial", "rad": "radial",
    "musculocutaneous": "musculocutaneous", "mc": "musculocutaneous",
    "axillary": "axillary", "ax": "axillary",
    "femoral": "femoral", "sural": "sural", "facial": "facial", "accessory": "accessory",
    "phrenic": "phrenic",
}  # fmt: skip

#: Word (lower case) → (muscle abbreviation, nerve usually stimulated to record it).
MUSCLES = {
    "apb": ("APB", "median"), "abductor pollicis brevis": ("APB", "median"),
    "adm": ("ADM", "ulnar"), "adq": ("ADM", "ulnar"), "admin": ("ADM", "ulnar"),
    "abductor digiti minimi": ("ADM", "ulnar"), "fdi": ("FDI", "ulnar"),
    "edb": ("EDB", "peroneal"), "extensor digitorum brevis": ("EDB", "peroneal"),
    "ta": ("TA", "peroneal"), "tib ant": ("TA", "peroneal"), "tibialis anterior": ("TA", "peroneal"),
    "ah": ("AH", "tibial"), "abd hal": ("AH", "tibial"), "abductor hallucis": ("AH", "tibial"),
    "edc": ("EDC", "radial"), "eip": ("EIP", "radial"),
    "biceps": ("biceps", "musculocutaneous"), "deltoid": ("deltoid", "axillary"),
}  # fmt: skip

#: Word (lower case) → side.
SIDE_WORDS = {
    "l": "left",
    "lt": "left",
    "left": "left",
    "r": "right",
    "rt": "right",
    "right": "right",
}

_SPLIT = re.compile(r"[\s_\-/.,:;()\[\]]+")


@dataclass(frozen=True)
class LabelInfo:
    """What a label says.

    Attributes
    ----------
    side, nerve, muscle : str or None
        Recognised values (None when the label does not say).
    inferred : tuple of str
        How each value was found, e.g. ``"nerve 'median' from muscle 'APB'"``.
    """

    side: str | None = None
    nerve: str | None = None
    muscle: str | None = None
    inferred: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, str]:
        """The recognised values only."""
        return {k: v for k, v in (("side", self.side), ("nerve", self.nerve),
                                  ("muscle", self.muscle)) if v is not None}  # fmt: skip


def _phrases(words: list[str]) -> list[str]:
    """Single words and adjacent pairs and triples (for "tib ant", "abductor pollicis brevis")."""
    out = []
    for n in (3, 2, 1):
        out += [" ".join(words[i : i + n]) for i in range(len(words) - n + 1)]
    return out


def infer_from_label(label: str) -> LabelInfo:
    """Side, nerve and muscle recognised in ``label`` through the anatomy table.

    Parameters
    ----------
    label : str
        A signal label such as ``"R Median APB"`` or ``"EMG ADQ"``.

    Returns
    -------
    LabelInfo

    Examples
    --------
    >>> infer_from_label("EMG APB").to_dict()
    {'nerve': 'median', 'muscle': 'APB'}
    >>> infer_from_label("Lt. Peron. EDB").to_dict()
    {'side': 'left', 'nerve': 'peroneal', 'muscle': 'EDB'}
    """
    words = [w for w in _SPLIT.split(label.lower()) if w][:12]
    side = nerve = muscle = None
    notes = []
    for w in words:
        if side is None and w in SIDE_WORDS:
            side = SIDE_WORDS[w]
            notes.append(f"side {side!r} from {w!r}")
    for ph in _phrases(words):
        if nerve is None and ph in NERVE_WORDS:
            nerve = NERVE_WORDS[ph]
            notes.append(f"nerve {nerve!r} from {ph!r}")
        if muscle is None and ph in MUSCLES:
            muscle, usual = MUSCLES[ph]
            notes.append(f"muscle {muscle!r} from {ph!r}")
            muscle_nerve = usual
    if muscle is not None and nerve is None:
        nerve = muscle_nerve
        notes.append(f"nerve {nerve!r} from muscle {muscle!r}")
    return LabelInfo(side, nerve, muscle, tuple(notes))
