#!/usr/bin/env bash
# The app's packages with `httpx2`, which Starlette 1.x's TestClient prefers to `httpx`, in a
# venv of its own made from the interpreter Apus embeds; the end-to-end tests run a suite
# through the pytest plugin with it. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.build/venv-httpx2
REQUIREMENTS="httpx2==2.16.2 pytest==9.0.3"
wanted="$REQUIREMENTS $(cat requirements.txt | grep -v '^#' | tr '\n' ' ')"
stamp=$VENV/.requirements
if [[ -f $stamp && $(cat "$stamp") == "$wanted" ]]; then
  echo "$VENV"
  exit 0
fi
rm -rf "$VENV"
mkdir -p .build
/usr/bin/python3.11 -m venv "$VENV"
# shellcheck disable=SC2086
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.txt $REQUIREMENTS >&2
echo "$wanted" > "$stamp"
echo "$VENV"
