#!/usr/bin/env bash
# A second FastAPI, the oldest Apus supports (0.115, with its Starlette 0.41), in its own venv
# made from the interpreter Apus embeds; the end-to-end tests serve an app with it. Idempotent.
exec "$(dirname "$0")/venv-with.sh" .build/venv-fastapi-0.115 \
  fastapi==0.115.3 starlette==0.41.3 pydantic==2.14.3 python-multipart==0.0.34
