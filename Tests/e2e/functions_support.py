"""Helpers for the functions-directory tests: write a tree, serve it, ask it."""
import json
import time
import os
import textwrap
import urllib.error
import urllib.request

from conftest import PROJECT_VENV, ApusServer

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def write_tree(root, files):
    """Writes ``{relative path: text}`` under ``root`` (text is dedented)."""
    for relative, text in files.items():
        path = os.path.join(root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as file:
            file.write(textwrap.dedent(text).lstrip("\n"))
    return root


def serve(directory, *args, env=None):
    """Serves a tree with the project's venv (a tree in a temporary folder has none above it).
    Its Go and Rust functions are built before it listens: the first time, that takes a while."""
    environment = {**os.environ, "VIRTUAL_ENV": PROJECT_VENV, **(env or {})}
    return ApusServer(str(directory), "--port", "0", *args, env=environment, ready_timeout=120)


def call(server, path, method="GET", body=None, headers=None, timeout=10):
    """(status, headers, body bytes) of one request."""
    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(server.url(path), data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def call_json(server, path, **options):
    status, headers, body = call(server, path, **options)
    return status, json.loads(body) if body else None


def logged(server, text, within=2.0):
    """Whether `text` shows in the server's log within `within` seconds (the log arrives
    through a pipe, a moment after the response)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if text in "\n".join(server.lines):
            return True
        time.sleep(0.02)
    return False
