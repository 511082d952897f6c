"""Clinical findings of one patient: the schema, strict parsing, and a thin TOML/JSON reader.

The schema is documented in ``docs/eligibility.md``. Every key is optional except ``subject_id``; a
missing key means *unknown* (None), never normal. Parsing is strict:

- an unknown key or a value of the wrong type → :class:`~ncs_emg.errors.FormatError` naming the key
  and the value;
- an out-of-range value (an MRC grade of 7, an NSS item score of 4, a negative CK) →
  :class:`~ncs_emg.errors.ParameterError` naming the key and the value;
- findings that contradict each other (``lmn_weakness = false`` while a needle-EMG row says the muscle
  is weak and abnormal) are kept as they are and reported in :attr:`ClinicalFindings.issues`.

:func:`clinical_from_dict` is pure (no file access). :func:`read_clinical` reads a file; it lives here
rather than in ``io/`` because the clinical file is this module's own small format, not a recording.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ..errors import FormatError, ParameterError

__all__ = [
    "ONSET_REGIONS",
    "SIDES",
    "TERRITORIES",
    "MUSCLE_TERRITORY",
    "EMRCSS_GROUPS",
    "Phenotype",
    "Signs",
    "SensoryNerve",
    "SensoryNcs",
    "Labs",
    "NeedleEmgRow",
    "StrengthRow",
    "NssRow",
    "ResponseScores",
    "ClinicalFindings",
    "clinical_from_dict",
    "read_clinical",
]

#: Where the weakness began (``[phenotype] onset_region``).
ONSET_REGIONS = (
    "distal_upper_limb",
    "proximal_upper_limb",
    "distal_lower_limb",
    "proximal_lower_limb",
    "bulbar",
    "respiratory",
)
#: Sides of a muscle, nerve or strength row.
SIDES = ("left", "right")
#: The five upper-limb nerve territories counted by Simon et al. (Neurology 2013;81:2116).
TERRITORIES = ("median", "ulnar", "radial", "musculocutaneous", "axillary")
#: Needle-EMG muscle name → nerve territory, for rows without an explicit ``nerve`` (standard
#: peripheral-nerve anatomy of the upper limb). Muscles outside the five territories map to nothing.
MUSCLE_TERRITORY: dict[str, str] = {
    "abductor_pollicis_brevis": "median",
    "apb": "median",
    "opponens_pollicis": "median",
    "flexor_pollicis_longus": "median",
    "flexor_carpi_radialis": "median",
    "fcr": "median",
    "pronator_teres": "median",
    "first_dorsal_interosseous": "ulnar",
    "fdi": "ulnar",
    "abductor_digiti_minimi": "ulnar",
    "adm": "ulnar",
    "flexor_carpi_ulnaris": "ulnar",
    "fcu": "ulnar",
    "extensor_digitorum_communis": "radial",
    "extensor_digitorum": "radial",
    "edc": "radial",
    "extensor_indicis": "radial",
    "eip": "radial",
    "extensor_carpi_radialis": "radial",
    "brachioradialis": "radial",
    "triceps": "radial",
    "biceps": "musculocutaneous",
    "biceps_brachii": "musculocutaneous",
    "brachialis": "musculocutaneous",
    "deltoid": "axillary",
}
#: The ten muscle groups of the expanded MRC sum score, each graded on both sides (Simon et al. 2013).
EMRCSS_GROUPS = (
    "deltoid",
    "biceps",
    "wrist_extensors",
    "finger_flexors",
    "finger_extensors",
    "finger_abductors",
    "hip_flexors",
    "quadriceps",
    "tibialis_anterior",
    "extensor_hallucis_longus",
)
VISITS = ("before", "after")
_TERRITORY_KEYS = (*TERRITORIES, "other")


@dataclass(frozen=True)
class Phenotype:
    """``[phenotype]``: the presenting syndrome (None = not stated).

    Attributes
    ----------
    progressive, asymmetric, focal_onset, lmn_weakness : bool or None
        Progressive; asymmetric; focal onset; weakness of lower-motor-neuron type (wasting, weakness).
    onset_region : str or None
        One of :data:`ONSET_REGIONS`.
    duration_months : float or None
        Months from onset of weakness to assessment.
    """

    progressive: bool | None = None
    asymmetric: bool | None = None
    focal_onset: bool | None = None
    lmn_weakness: bool | None = None
    onset_region: str | None = None
    duration_months: float | None = None


@dataclass(frozen=True)
class Signs:
    """``[signs]``: examination findings, each True (present), False (absent) or None (not stated)."""

    spasticity: bool | None = None
    hyperreflexia: bool | None = None
    reflex_spread: bool | None = None
    babinski: bool | None = None
    hoffmann: bool | None = None
    bulbar_weakness: bool | None = None
    respiratory_weakness: bool | None = None
    sensory_abnormality: bool | None = None


@dataclass(frozen=True)
class SensoryNerve:
    """One ``[[sensory_ncs.nerves]]`` row: a sensory nerve conduction result."""

    nerve: str
    side: str | None = None
    abnormal: bool | None = None


@dataclass(frozen=True)
class SensoryNcs:
    """``[sensory_ncs]``: an overall verdict (``abnormal``) and/or per-nerve rows.

    :attr:`any_abnormal` combines them: True if the verdict or any row is abnormal, False if the verdict
    is normal or every row (at least one) is normal, None otherwise.
    """

    abnormal: bool | None = None
    nerves: tuple[SensoryNerve, ...] = ()

    @property
    def any_abnormal(self) -> bool | None:
        """True when the overall flag or any nerve is abnormal, False when all are known normal,
        else None (not known)."""
        rows = [n.abnormal for n in self.nerves]
        if self.abnormal is True or True in rows:
            return True
        if self.abnormal is False or (rows and all(r is False for r in rows)):
            return False
        return None


@dataclass(frozen=True)
class Labs:
    """``[labs]``: creatine kinase (U/L) with the lab's upper limit, IgM anti-GM1 titre (reciprocal)."""

    ck_u_l: float | None = None
    ck_uln_u_l: float | None = None
    anti_gm1_igm_titre: float | None = None


@dataclass(frozen=True)
class NeedleEmgRow:
    """One ``[[needle_emg]]`` row.

    Attributes
    ----------
    muscle : str
        Muscle name, lower case with underscores (``thoracic_paraspinal`` is a muscle).
    side : str or None
        ``left`` / ``right`` (None for midline or not stated).
    clinically_weak, abnormal : bool or None
        Weak on examination; neurogenic abnormality on needle EMG.
    territory : str or None
        The nerve territory (explicit ``nerve`` key, else :data:`MUSCLE_TERRITORY`), or None.
    """

    muscle: str
    side: str | None = None
    clinically_weak: bool | None = None
    abnormal: bool | None = None
    territory: str | None = None


@dataclass(frozen=True)
class StrengthRow:
    """One ``[[strength]]`` row: MRC grade 0-5 of one EMRCSS muscle group on one side at one visit."""

    muscle_group: str
    side: str
    mrc: float
    visit: str = "before"


@dataclass(frozen=True)
class NssRow:
    """One ``[[nss]]`` row: score 0-3 of one neuromuscular-symptom-score item at one visit."""

    item: str
    score: float
    visit: str = "before"


@dataclass(frozen=True)
class ResponseScores:
    """``[response]``: totals given directly (EMRCSS 0-100, NSS 0-60), None when not given."""

    emrcss_before: float | None = None
    emrcss_after: float | None = None
    nss_before: float | None = None
    nss_after: float | None = None


@dataclass(frozen=True)
class ClinicalFindings:
    """Everything known clinically about one patient (see ``docs/eligibility.md``).

    Attributes
    ----------
    subject_id : str
    phenotype : Phenotype
    signs : Signs
    sensory_ncs : SensoryNcs
    labs : Labs
    needle_emg : tuple of NeedleEmgRow
    strength : tuple of StrengthRow
    nss : tuple of NssRow
    response : ResponseScores
    issues : tuple of str
        Contradictions and oddities found while parsing (nothing is dropped).
    source : str or None
        The file the findings came from, if any.
    """

    subject_id: str
    phenotype: Phenotype = Phenotype()
    signs: Signs = Signs()
    sensory_ncs: SensoryNcs = SensoryNcs()
    labs: Labs = Labs()
    needle_emg: tuple[NeedleEmgRow, ...] = ()
    strength: tuple[StrengthRow, ...] = ()
    nss: tuple[NssRow, ...] = ()
    response: ResponseScores = ResponseScores()
    issues: tuple[str, ...] = ()
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the schema's sections."""
        return {
            "subject_id": self.subject_id,
            "phenotype": _flat(self.phenotype),
            "signs": _flat(self.signs),
            "sensory_ncs": {
                "abnormal": self.sensory_ncs.abnormal,
                "nerves": [_flat(n) for n in self.sensory_ncs.nerves],
            },
            "labs": _flat(self.labs),
            "needle_emg": [_flat(r) for r in self.needle_emg],
            "strength": [_flat(r) for r in self.strength],
            "nss": [_flat(r) for r in self.nss],
            "response": _flat(self.response),
            "issues": list(self.issues),
            "source": self.source,
        }


def _flat(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


# --- field checkers -------------------------------------------------------------------------------


class _Ctx:
    """Names the file in messages."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fmt(self, key: str, value: Any, expected: str) -> FormatError:
        return FormatError(f"{self.where}: key '{key}' = {value!r}: expected {expected}")

    def rng(self, key: str, value: Any, expected: str) -> ParameterError:
        return ParameterError(f"{self.where}: key '{key}' = {value!r} is out of range: {expected}")


def _bool(ctx: _Ctx, key: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise ctx.fmt(key, v, "true or false")
    return v


def _str(ctx: _Ctx, key: str, v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise ctx.fmt(key, v, "a non-empty string")
    return v.strip()


def _choice(ctx: _Ctx, key: str, v: Any, allowed: tuple[str, ...]) -> str:
    s = _str(ctx, key, v).lower()
    if s not in allowed:
        raise ctx.fmt(key, v, f"one of {', '.join(allowed)}")
    return s


def _num(ctx: _Ctx, key: str, v: Any, lo: float, hi: float, *, lo_open: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ctx.fmt(key, v, "a number")
    x = float(v)
    if not math.isfinite(x) or x < lo or x > hi or (lo_open and x == lo):
        lo_txt = f"> {lo:g}" if lo_open else f">= {lo:g}"
        raise ctx.rng(key, v, f"must be {lo_txt} and <= {hi:g}")
    return x


def _table(ctx: _Ctx, key: str, v: Any, allowed: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise ctx.fmt(key, v, "a table (mapping)")
    unknown = [k for k in v if k not in allowed]
    if unknown:
        raise FormatError(
            f"{ctx.where}: unknown key '{key}.{unknown[0]}' = {v[unknown[0]]!r}; "
            f"known keys of [{key}]: {', '.join(allowed)}"
        )
    return v


def _rows(ctx: _Ctx, key: str, v: Any) -> list[dict[str, Any]]:
    if not isinstance(v, list) or not all(isinstance(r, dict) for r in v):
        raise ctx.fmt(key, v, "a list of tables ([[" + key + "]] rows)")
    return v


def _required(ctx: _Ctx, key: str, row: dict[str, Any], name: str) -> Any:
    if name not in row:
        raise FormatError(f"{ctx.where}: row {key} is missing its required key '{name}'")
    return row[name]


# --- sections -------------------------------------------------------------------------------------

_PHENOTYPE_BOOLS = ("progressive", "asymmetric", "focal_onset", "lmn_weakness")
_SIGN_KEYS = tuple(f.name for f in fields(Signs))


def _phenotype(ctx: _Ctx, v: Any) -> Phenotype:
    d = _table(
        ctx, "phenotype", v, dict.fromkeys((*_PHENOTYPE_BOOLS, "onset_region", "duration_months"))
    )
    kw: dict[str, Any] = {k: _bool(ctx, f"phenotype.{k}", d[k]) for k in _PHENOTYPE_BOOLS if k in d}
    if "onset_region" in d:
        kw["onset_region"] = _choice(
            ctx, "phenotype.onset_region", d["onset_region"], ONSET_REGIONS
        )
    if "duration_months" in d:
        kw["duration_months"] = _num(
            ctx, "phenotype.duration_months", d["duration_months"], 0, 1200
        )
    return Phenotype(**kw)


def _signs(ctx: _Ctx, v: Any) -> Signs:
    d = _table(ctx, "signs", v, dict.fromkeys(_SIGN_KEYS))
    return Signs(**{k: _bool(ctx, f"signs.{k}", d[k]) for k in d})


def _sensory(ctx: _Ctx, v: Any) -> SensoryNcs:
    d = _table(ctx, "sensory_ncs", v, dict.fromkeys(("abnormal", "nerves")))
    abnormal = _bool(ctx, "sensory_ncs.abnormal", d["abnormal"]) if "abnormal" in d else None
    nerves = []
    for i, row in enumerate(_rows(ctx, "sensory_ncs.nerves", d.get("nerves", []))):
        key = f"sensory_ncs.nerves[{i}]"
        _table(ctx, key, row, dict.fromkeys(("nerve", "side", "abnormal")))
        nerves.append(
            SensoryNerve(
                nerve=_str(ctx, f"{key}.nerve", _required(ctx, key, row, "nerve")),
                side=_choice(ctx, f"{key}.side", row["side"], SIDES) if "side" in row else None,
                abnormal=_bool(ctx, f"{key}.abnormal", row["abnormal"])
                if "abnormal" in row
                else None,
            )
        )
    return SensoryNcs(abnormal=abnormal, nerves=tuple(nerves))


def _labs(ctx: _Ctx, v: Any) -> Labs:
    d = _table(ctx, "labs", v, dict.fromkeys(("ck_u_l", "ck_uln_u_l", "anti_gm1_igm_titre")))
    kw: dict[str, Any] = {}
    if "ck_u_l" in d:
        kw["ck_u_l"] = _num(ctx, "labs.ck_u_l", d["ck_u_l"], 0, 1e6)
    if "ck_uln_u_l" in d:
        kw["ck_uln_u_l"] = _num(ctx, "labs.ck_uln_u_l", d["ck_uln_u_l"], 0, 1e5, lo_open=True)
    if "anti_gm1_igm_titre" in d:
        kw["anti_gm1_igm_titre"] = _num(
            ctx, "labs.anti_gm1_igm_titre", d["anti_gm1_igm_titre"], 0, 1e7
        )
    return Labs(**kw)


def _needle(ctx: _Ctx, v: Any) -> tuple[NeedleEmgRow, ...]:
    out = []
    allowed = dict.fromkeys(("muscle", "side", "clinically_weak", "abnormal", "nerve"))
    for i, row in enumerate(_rows(ctx, "needle_emg", v)):
        key = f"needle_emg[{i}]"
        _table(ctx, key, row, allowed)
        muscle = _str(ctx, f"{key}.muscle", _required(ctx, key, row, "muscle")).lower()
        muscle = muscle.replace(" ", "_").replace("-", "_")
        if "nerve" in row:
            territory: str | None = _choice(ctx, f"{key}.nerve", row["nerve"], _TERRITORY_KEYS)
            territory = None if territory == "other" else territory
        else:
            territory = MUSCLE_TERRITORY.get(muscle)
        out.append(
            NeedleEmgRow(
                muscle=muscle,
                side=_choice(ctx, f"{key}.side", row["side"], SIDES) if "side" in row else None,
                clinically_weak=(
                    _bool(ctx, f"{key}.clinically_weak", row["clinically_weak"])
                    if "clinically_weak" in row
                    else None
                ),
                abnormal=_bool(ctx, f"{key}.abnormal", row["abnormal"])
                if "abnormal" in row
                else None,
                territory=territory,
            )
        )
    return tuple(out)


def _visit(ctx: _Ctx, key: str, row: dict[str, Any]) -> str:
    return _choice(ctx, f"{key}.visit", row["visit"], VISITS) if "visit" in row else "before"


def _strength(ctx: _Ctx, v: Any) -> tuple[StrengthRow, ...]:
    out, seen = [], set()
    for i, row in enumerate(_rows(ctx, "strength", v)):
        key = f"strength[{i}]"
        _table(ctx, key, row, dict.fromkeys(("muscle_group", "side", "mrc", "visit")))
        r = StrengthRow(
            muscle_group=_choice(
                ctx, f"{key}.muscle_group", _required(ctx, key, row, "muscle_group"), EMRCSS_GROUPS
            ),
            side=_choice(ctx, f"{key}.side", _required(ctx, key, row, "side"), SIDES),
            mrc=_num(ctx, f"{key}.mrc", _required(ctx, key, row, "mrc"), 0, 5),
            visit=_visit(ctx, key, row),
        )
        ident = (r.muscle_group, r.side, r.visit)
        if ident in seen:
            raise FormatError(f"{ctx.where}: {key} repeats muscle_group/side/visit {ident}")
        seen.add(ident)
        out.append(r)
    return tuple(out)


def _nss(ctx: _Ctx, v: Any) -> tuple[NssRow, ...]:
    out, seen = [], set()
    for i, row in enumerate(_rows(ctx, "nss", v)):
        key = f"nss[{i}]"
        _table(ctx, key, row, dict.fromkeys(("item", "score", "visit")))
        item = _required(ctx, key, row, "item")
        if isinstance(item, int) and not isinstance(item, bool):
            item = str(item)
        r = NssRow(
            item=_str(ctx, f"{key}.item", item),
            score=_num(ctx, f"{key}.score", _required(ctx, key, row, "score"), 0, 3),
            visit=_visit(ctx, key, row),
        )
        if (r.item, r.visit) in seen:
            raise FormatError(f"{ctx.where}: {key} repeats item/visit {(r.item, r.visit)}")
        seen.add((r.item, r.visit))
        out.append(r)
    return tuple(out)


def _response(ctx: _Ctx, v: Any) -> ResponseScores:
    limits = {"emrcss_before": 100, "emrcss_after": 100, "nss_before": 60, "nss_after": 60}
    d = _table(ctx, "response", v, limits)
    return ResponseScores(**{k: _num(ctx, f"response.{k}", d[k], 0, limits[k]) for k in d})


_SECTIONS = {
    "phenotype": _phenotype,
    "signs": _signs,
    "sensory_ncs": _sensory,
    "labs": _labs,
    "needle_emg": _needle,
    "strength": _strength,
    "nss": _nss,
    "response": _response,
}


# --- contradictions (reported, not errors) --------------------------------------------------------


def _contradictions(c: ClinicalFindings) -> list[str]:
    out = []
    weak_abn = [r.muscle for r in c.needle_emg if r.clinically_weak and r.abnormal]
    if c.phenotype.lmn_weakness is False and weak_abn:
        out.append(
            "phenotype.lmn_weakness is false, but needle_emg rows say weak and abnormal: "
            + ", ".join(weak_abn)
        )
    region = c.phenotype.onset_region
    if region == "bulbar" and c.signs.bulbar_weakness is False:
        out.append("phenotype.onset_region is 'bulbar', but signs.bulbar_weakness is false")
    if region == "respiratory" and c.signs.respiratory_weakness is False:
        out.append(
            "phenotype.onset_region is 'respiratory', but signs.respiratory_weakness is false"
        )
    if region in ("bulbar", "respiratory") and c.phenotype.focal_onset:
        out.append(
            f"phenotype.onset_region is '{region}', not a limb, for a focal limb-onset syndrome"
        )
    rows = [n.abnormal for n in c.sensory_ncs.nerves]
    if c.sensory_ncs.abnormal is False and True in rows:
        out.append("sensory_ncs.abnormal is false, but a sensory_ncs.nerves row is abnormal")
    if c.sensory_ncs.abnormal is True and rows and all(r is False for r in rows):
        out.append("sensory_ncs.abnormal is true, but every sensory_ncs.nerves row is normal")
    if c.labs.ck_u_l is not None and c.labs.ck_uln_u_l is None:
        out.append("labs.ck_u_l is given without labs.ck_uln_u_l: CK cannot be judged normal")
    return out


def clinical_from_dict(data: Any, *, where: str = "clinical findings") -> ClinicalFindings:
    """Build :class:`ClinicalFindings` from a parsed TOML/JSON document.

    Parameters
    ----------
    data : dict
        The document (schema in ``docs/eligibility.md``).
    where : str
        How messages name the document (a file name, for example).

    Returns
    -------
    ClinicalFindings

    Raises
    ------
    FormatError
        Not a mapping, no ``subject_id``, an unknown key, or a value of the wrong type.
    ParameterError
        A value out of its range (MRC outside 0-5, NSS item outside 0-3, negative CK ...).
    """
    ctx = _Ctx(where)
    if not isinstance(data, dict):
        raise ctx.fmt("<document>", type(data).__name__, "a table (mapping) at the top level")
    unknown = [k for k in data if k != "subject_id" and k not in _SECTIONS]
    if unknown:
        raise FormatError(
            f"{where}: unknown key '{unknown[0]}' = {data[unknown[0]]!r}; "
            f"known keys: subject_id, {', '.join(_SECTIONS)}"
        )
    if "subject_id" not in data:
        raise FormatError(f"{where}: required key 'subject_id' is missing")
    sid = data["subject_id"]
    if isinstance(sid, int) and not isinstance(sid, bool):
        sid = str(sid)
    kw: dict[str, Any] = {"subject_id": _str(ctx, "subject_id", sid)}
    for name, parse in _SECTIONS.items():
        if name in data:
            kw[name] = parse(ctx, data[name])
    found = ClinicalFindings(**kw)
    issues = _contradictions(found)
    return ClinicalFindings(**{**kw, "issues": tuple(issues)})


def read_clinical(path: str | Path) -> ClinicalFindings:
    """Read a clinical-findings file (``.toml`` or ``.json``).

    The clinical file is this package's own small format, so its reader lives beside the schema
    instead of in ``io/``; it only reads the text and hands it to :func:`clinical_from_dict`.

    Parameters
    ----------
    path : str or Path
        A ``.toml`` or ``.json`` file (TOML via ``tomllib``, or ``tomli`` on Python 3.10).

    Returns
    -------
    ClinicalFindings
        With ``source`` set to the path.

    Raises
    ------
    FormatError
        Unreadable file, unknown extension, invalid TOML/JSON, or a schema error (see
        :func:`clinical_from_dict`).
    ParameterError
        A value out of range.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise FormatError(f"{p}: clinical findings must be a .toml or .json file, got {suffix!r}")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"{p}: cannot read clinical findings ({exc})") from exc
    data = _parse_text(p, text, suffix)
    found = clinical_from_dict(data, where=str(p))
    return ClinicalFindings(
        **{**{f.name: getattr(found, f.name) for f in fields(found)}, "source": str(p)}
    )


def _parse_text(p: Path, text: str, suffix: str) -> Any:
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise FormatError(f"{p}: invalid JSON ({exc})") from exc
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ImportError as exc:
            raise FormatError(f"{p}: reading TOML on Python 3.10 needs 'tomli'; use JSON") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FormatError(f"{p}: invalid TOML ({exc})") from exc
