#!/usr/bin/env bash
# Line coverage of the numba kernels (src/ncs_emg/_kernels.py).
#
# Under the JIT, coverage cannot see a kernel's lines (numba compiles them to machine code), so the
# kernels would show ~16 %. With NUMBA_DISABLE_JIT=1 the same kernels run as plain Python and the
# kernel tests (kernel against its naive twin in tests/naive.py, kernel against simulator truth)
# execute every line coverage can count.
#
# Usage: tools/kernel_coverage.sh [pytest arguments]   (default: the kernel test files below)
# Needs the `dev` extra (coverage). Prints the coverage report of _kernels.py with missing lines.
set -euo pipefail
cd "$(dirname "$0")/.."

# The test files that call the kernels directly or through their wrappers. Without the JIT the
# kernels are ~100x slower, so only these files run here; the whole suite runs with the JIT.
KERNEL_TESTS=(tests/test_measure.py tests/test_measure_regressions.py tests/test_fwave.py tests/test_fwave_regressions.py)
if [ "$#" -gt 0 ]; then KERNEL_TESTS=("$@"); fi

DATA="$(mktemp -d)/.coverage.kernels"
export NUMBA_DISABLE_JIT=1
export PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}"
# Plain-Python kernels do numpy scalar arithmetic, which warns on inf * 0 or NaN comparisons where
# the compiled kernel is silent: those RuntimeWarnings are not errors in this run.
python -m coverage run --data-file="$DATA" --include='*/ncs_emg/_kernels.py' \
  -m pytest -q -p no:randomly -p no:cacheprovider -W "ignore::RuntimeWarning" \
  "${KERNEL_TESTS[@]}"
python -m coverage report --data-file="$DATA" --show-missing
