#!/usr/bin/env bash
# The app's and the tests' packages with `httpx2`, which Starlette 1.x's TestClient prefers to
# `httpx`, in a venv of its own made from the interpreter Apus embeds, with the repository's
# `apus` package importable in place: the end-to-end tests run a suite through the pytest
# plugin with it, and `make compat` FastAPI's tutorial tests. Prints the venv. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(scripts/venv-with.sh .build/venv-httpx2 httpx2==2.16.2 -r requirements.txt -r requirements-dev.txt)
site=$("$venv/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
echo "$PWD/python" > "$site/apus-dev.pth"
echo "$venv"
