#!/usr/bin/env bash
# A second FastAPI, the oldest Apus supports (0.115, with its Starlette 0.41), in its own venv
# made from the interpreter Apus embeds; the end-to-end tests serve an app with it. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.build/venv-fastapi-0.115
REQUIREMENTS="fastapi==0.115.3 starlette==0.41.3 pydantic==2.14.3 python-multipart==0.0.34"
stamp=$VENV/.requirements
if [[ -f $stamp && $(cat "$stamp") == "$REQUIREMENTS" ]]; then
  echo "$VENV"
  exit 0
fi
rm -rf "$VENV"
mkdir -p .build
/usr/bin/python3.11 -m venv "$VENV"
# shellcheck disable=SC2086
"$VENV/bin/python" -m pip install -q --disable-pip-version-check $REQUIREMENTS >&2
echo "$REQUIREMENTS" > "$stamp"
echo "$VENV"
