#!/usr/bin/env bash
# The app's packages with `httpx2`, which Starlette 1.x's TestClient prefers to `httpx`, in a
# venv of its own made from the interpreter Apus embeds; the end-to-end tests run a suite
# through the pytest plugin with it. Idempotent.
exec "$(dirname "$0")/venv-with.sh" .build/venv-httpx2 httpx2==2.16.2 pytest==9.0.3 -r requirements.txt
