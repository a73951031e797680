"""What an app's sync code sets in a context variable stays with the call that set it, as under
FastAPI on an asyncio server: never seen by the next step of the request, nor by another request
served on the same executor thread. The same requests to the app with plans and with `--no-plans`
(FastAPI running every step) get the same answers."""
import json

import pytest

from conftest import APPS, ApusServer
from test_plans import exchange, get


@pytest.fixture(scope="module")
def servers():
    # One executor thread: every request runs on the thread the one before it ran on.
    planned = ApusServer("context_vars:app", "--app-dir", APPS, "--port", "0", "--no-access-log", "--threads", "1")
    plain = ApusServer("context_vars:app", "--app-dir", APPS, "--port", "0", "--no-access-log", "--no-plans")
    yield planned, plain
    planned.stop()
    plain.stop()


def _answers(server):
    answers = []
    for raw in [get("/set", "X-Value: first\r\n"), get("/read"), get("/endpoint-sets"), get("/read"),
                get("/refuse"), get("/read")]:
        status, _, body = exchange(server, raw)
        answers.append((status, json.loads(body)))
    return answers


def test_sync_code_sets_context_variables_for_itself_alone(servers):
    planned, plain = servers
    answers = _answers(planned)
    assert answers == _answers(plain)
    assert answers[0][1] == {"dependency": "first", "endpoint sees": "unset"}
    assert [body for _, body in answers[1::2]] == [{"sees": "unset"}] * 3
