"""``pytest -p apus.pytest_plugin``: every ``TestClient`` of the suite is Apus's.

Loaded before the tests are collected, it puts ``apus.testclient.TestClient`` in place of
``starlette.testclient.TestClient`` and ``fastapi.testclient.TestClient``, so a project's own
tests send real HTTP through Apus, unchanged."""
import starlette.testclient

from .testclient import TestClient


def _install():
    starlette.testclient.TestClient = TestClient
    try:
        import fastapi.testclient
    except ImportError:
        return
    fastapi.testclient.TestClient = TestClient


_install()
