#!/usr/bin/env bash
# Apus in the peer matrix of ../shared/bench/peers, in the same run as the peers: FastAPI on
# uvicorn (sync and async) and on Granian, Robyn and FastrAPI, the same four endpoints,
# interleaved; plus a plain Starlette app (bench/apps/starlette_app.py) on Apus's ASGI path,
# on uvicorn and on Granian.
#
#   bench/peers.sh                      # 3 rounds x 10 s
#   ROUNDS=1 DURATION=3 bench/peers.sh  # quick
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PEERS="${APUS_PEERS_DIR:-$ROOT/../shared/bench/peers}"
APUS="$ROOT/.build/release/apus"
[[ -x $APUS ]] || { echo "build first: make release"; exit 1; }
[[ -d $PEERS ]] || { echo "peer harness not found at $PEERS (set APUS_PEERS_DIR)"; exit 1; }
PEERS_VENV="${PEERS_VENV:-${PEERS_SCRATCH:-/tmp/peers}/venv}"
APPS="$ROOT/bench/apps"

run_apus="env VIRTUAL_ENV=$ROOT/.venv $APUS run {app}:app --port {port} --no-access-log --log-level warning"
export PEERS_EXTRA="apus (def)|${run_apus/\{app\}/fastapi_sync}
apus (async def)|${run_apus/\{app\}/fastapi_async}
apus starlette (asgi)|${run_apus/\{app\}/starlette_app} --app-dir $APPS
starlette uvicorn 1w|$PEERS_VENV/bin/uvicorn --app-dir $APPS starlette_app:app --port {port} --log-level warning --no-access-log
starlette granian 1w|env PYTHONPATH=$APPS $PEERS_VENV/bin/granian --interface asgi --workers 1 --host 127.0.0.1 --port {port} --log-level warning --no-ws starlette_app:app"
export ONLY="${ONLY:-apus (def),apus (async def),fastrapi (sync def),robyn (sync def),fastapi-async uvicorn 1w,fastapi-sync uvicorn 1w,fastapi-async granian 1w,apus starlette (asgi),starlette uvicorn 1w,starlette granian 1w}"
export ROUNDS="${ROUNDS:-3}" DURATION="${DURATION:-10}"
export OUT="${OUT:-$ROOT/.build/bench/peers-$(date +%Y%m%d-%H%M%S)}"
bash "$PEERS/run.sh"
python3 "$ROOT/bench/ratios.py" "$OUT/raw.jsonl"
