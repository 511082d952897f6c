"""First-run cost: numba compilation (empty cache) and cache loading (warm cache), in fresh interpreters.

    python benchmarks/bench_first_run.py [--repeats 3] [--cases analyze,measure_fw,cmap] [--table]
                                         [--src PATH]

Each timing is one fresh ``python`` process (interpreter start, imports, reading the file, compiling
or loading the kernels, the command itself), wall clock measured by the parent. "empty": a new empty
``NUMBA_CACHE_DIR`` per run (what a new user's first command costs); "warm": a cache directory filled
by one untimed run of the same case (a later interpreter start: loading compiled code). Medians of
``--repeats`` runs, runs of the cases interleaved. ``--table`` adds, per case, one more empty-cache run
that lists every compiled kernel specialisation with numba's own compile time for it (inclusive of
the helpers it calls, so nested rows overlap). ``--src`` times another copy of the package (e.g. a
checkout of the previous commit) with the same script.

Cases:
    analyze     ``ncs-emg analyze data/fixtures/block_ulnar.h5`` (the README's first command)
    measure_fw  ``ncs-emg measure data/fixtures/fwave_ulnar.h5`` (CMAPs and an F-wave train)
    measure     ``ncs-emg measure data/fixtures/normal_median.h5`` (CMAPs only)
    cmap        first ``measure_cmap`` on one simulated-looking sweep (library use)
    floor       numba's own floor: import numpy, ncs_emg and numba and initialise numba's CPU target
                (what loading any cached kernel costs first; no kernel of ours)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_CLI = (
    "import contextlib, io, sys\n"
    "from ncs_emg.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    rc = main({args!r})\n"
    "assert rc == 0, rc\n"
)
_CMAP = (
    "import numpy as np\n"
    "from ncs_emg import measure_cmap\n"
    "t = np.arange(-5, 25, 0.05)\n"
    "x = np.where((t >= 3) & (t < 11), -5 * np.sin(2 * np.pi * (t - 3) / 8), 0.0)\n"
    "m = measure_cmap(x, 20000, t0_ms=-5.0)\n"
    "assert round(float(m.neg_peak_amp_mv[0]), 2) == 5.0\n"
)
# what any first call of a cached numba kernel costs before our code: importing numpy, ncs_emg and
# numba, and numba's one-time initialisation of its CPU target (run when the first cached kernel loads)
_FLOOR = (
    "import numpy, ncs_emg, numba\n"
    "from numba.core.registry import cpu_target\n"
    "cpu_target.target_context.refresh()\n"
)
CASES = {
    "analyze": _CLI.format(args=["analyze", "data/fixtures/block_ulnar.h5"]),
    "measure_fw": _CLI.format(args=["measure", "data/fixtures/fwave_ulnar.h5"]),
    "measure": _CLI.format(args=["measure", "data/fixtures/normal_median.h5"]),
    "cmap": _CMAP,
    "floor": _FLOOR,
}

# appended to a case for --table: every compiled specialisation of every kernel, numba's timers
_TABLE = (
    "\nimport json as _j\n"
    "from numba.core.registry import CPUDispatcher as _D\n"
    "import ncs_emg._kernels as _K\n"
    "_rows = []\n"
    "for _n in sorted(vars(_K)):\n"
    "    _d = getattr(_K, _n)\n"
    "    if isinstance(_d, _D):\n"
    "        for _s, _c in _d.overloads.items():\n"
    "            _t = (_c.metadata or {}).get('timers', {})\n"
    "            _rows.append([_n, str(_s), _t.get('compiler_lock', float('nan'))])\n"
    "print('@@TABLE@@' + _j.dumps(_rows))\n"
)


def run(code: str, cache: str, src: Path) -> tuple[float, float, str]:
    """Wall and CPU time (s) of one fresh interpreter running ``code`` with ``cache`` as numba's
    cache (CPU: user + system time of the child; steadier than wall time on a loaded machine)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache, PYTHONPATH=str(src))
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    dt = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if r.returncode != 0:
        raise SystemExit(f"case failed:\n{r.stderr[-2000:]}")
    return dt, cpu, r.stdout


def short_sig(sig: str) -> str:
    """A compact form of a numba signature: array(float64, 2d, C, readonly) -> f8[2C,ro]."""
    return (
        sig.replace("Array(float64, ", "f8[")
        .replace("Array(int64, ", "i8[")
        .replace("Array(uint8, ", "u1[")
        .replace(", 'C', True, aligned=True)", "C,ro]")
        .replace(", 'C', False, aligned=True)", "C]")
        .replace(", 'A', True, aligned=True)", "A,ro]")
        .replace(", 'A', False, aligned=True)", "A]")
        .replace("float64", "f8")
        .replace("int64", "i8")
    )


def table(case: str, src: Path) -> None:
    with tempfile.TemporaryDirectory() as cache:
        wall, _cpu, out = run(CASES[case] + _TABLE, cache, src)
    rows = json.loads(out.split("@@TABLE@@", 1)[1])
    print(f"\n{case}: {len(rows)} specialisations compiled, wall {wall:.1f} s (empty cache)")
    print("| kernel | signature | compile s (incl. callees) |\n|---|---|---|")
    for name, sig, secs in sorted(rows, key=lambda r: -r[2]):
        print(f"| `{name}` | `{short_sig(sig)}` | {secs:.2f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--cases", default="analyze,measure_fw,cmap,floor")
    ap.add_argument("--table", action="store_true")
    ap.add_argument("--src", type=Path, default=ROOT / "src")
    a = ap.parse_args()
    cases = a.cases.split(",")
    src = a.src.resolve()
    times: dict[tuple[str, str], list[tuple[float, float]]] = {}
    warm_dirs = {}
    try:
        for c in cases:  # fill one cache per case (untimed)
            warm_dirs[c] = tempfile.mkdtemp(prefix="ncs_first_run_")
            run(CASES[c], warm_dirs[c], src)
        for _ in range(a.repeats):
            for c in cases:
                with tempfile.TemporaryDirectory() as empty:
                    times.setdefault((c, "empty"), []).append(run(CASES[c], empty, src)[:2])
                times.setdefault((c, "warm"), []).append(run(CASES[c], warm_dirs[c], src)[:2])
    finally:
        for d in warm_dirs.values():
            shutil.rmtree(d, ignore_errors=True)
    print(f"src: {src}; load average {os.getloadavg()[0]:.1f}; {a.repeats} runs each")
    print(
        "| case | empty cache: wall median (runs) s | CPU median s "
        "| warm cache: wall median (runs) s | CPU median s |\n|---|---|---|---|---|"
    )
    for c in cases:
        cells = []
        for kind in ("empty", "warm"):
            wall = [w for w, _ in times[(c, kind)]]
            cpu = [u for _, u in times[(c, kind)]]
            runs = ", ".join(f"{x:.2f}" for x in wall)
            cells.append(f"{statistics.median(wall):.2f} ({runs}) | {statistics.median(cpu):.2f}")
        print(f"| {c} | {cells[0]} | {cells[1]} |")
    if a.table:
        for c in cases:
            table(c, src)


if __name__ == "__main__":
    main()
