#!/usr/bin/env bash
# FastAPI 0.165's public tutorial tests through Apus (the shared harness's "server mode"), twice:
# once as served, counting what served each request, and once with the differential check
# (APUS_DIFFERENTIAL: every direct and injected plan's answer compared with FastAPI's own
# handler's); then the floors of floors.json. The harness lives outside the repository; APUS_COMPAT_DIR points at
# it (default ../shared/compat). Extra arguments go to the harness (e.g. --topics body).
# APUS_TEST_VENV runs them in another venv and APUS_COMPAT_OUT keeps their results elsewhere
# (another Python's, scripts/test-python.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HARNESS="${APUS_COMPAT_DIR:-$ROOT/../shared/compat}"
if [[ ! -f $HARNESS/run_compat.py ]]; then
  echo "compat: harness not found at $HARNESS (set APUS_COMPAT_DIR); FastAPI compatibility NOT checked"
  exit "${APUS_COMPAT_REQUIRED:-0}"
fi
HARNESS="$(cd "$HARNESS" && pwd)"
VENV="${APUS_TEST_VENV:-$ROOT/.venv}"
OUT="${APUS_COMPAT_OUT:-$ROOT/.build/compat}"
mkdir -p "$OUT"
rm -f "$OUT/route-stats" "$OUT/inmemory" "$OUT/fastapi-solved" "$OUT/differences"
selection=(--set public)
(($#)) && selection=("$@")
APUS_ROUTE_STATS="$OUT/route-stats" INMEMORY_COUNT="$OUT/inmemory" SOLVE_COUNT="$OUT/fastapi-solved" \
  python3 "$HARNESS/run_compat.py" --python "$VENV/bin/python" --plugin apus.pytest_plugin \
  --pythonpath "$HARNESS" --pytest-args "-p inmemory_counter -p solve_counter" --json "$OUT/results.json" \
  "${selection[@]}" \
  | tail -n 45
echo "compat: the same tests with the differential check"
APUS_DIFFERENTIAL="$OUT/differences" \
  python3 "$HARNESS/run_compat.py" --python "$VENV/bin/python" --plugin apus.pytest_plugin \
  --json "$OUT/results-differential.json" "${selection[@]}" | tail -n 1
touch "$OUT/differences"
(($#)) && exit 0  # a partial run has no floors
"$VENV/bin/python" "$ROOT/Tests/compat/check.py" "$OUT/results.json" "$OUT/route-stats" "$OUT/inmemory" \
  "$OUT/fastapi-solved" "$OUT/differences"
