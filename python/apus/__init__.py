"""Apus: serves ASGI apps (FastAPI's real package among them) on the Apus runtime.

``apus.serve(app)`` runs any ASGI app in this process; ``apus.testclient.TestClient`` is
Starlette's TestClient sending real HTTP to that server; ``pytest -p apus.pytest_plugin`` makes
every ``TestClient`` of a suite be Apus's."""
from ._native import Server, serve, version

__all__ = ["Server", "serve", "version"]
__version__ = "0.1.0"
