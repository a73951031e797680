"""Differential test of the request decoder against llhttp (through httptools, used here only
as an oracle): Apus may refuse more than llhttp, never less, and where both accept a message
they must agree on method, target, version, headers and body.

Two documented differences are normalized: trailing whitespace of field values (not part of
the value per RFC 9110) and chunked trailer fields (Apus accepts and drops them). Methods
llhttp does not know are tested separately: Apus leaves them to the router."""
import base64
import json
import subprocess

import httptools
import pytest

from conftest import APUS_BIN
from http_corpus import CASES, EXTENSION_METHOD_CASES


class _Collector:
    def __init__(self):
        self.messages = []
        self.current = None

    def on_message_begin(self):
        self.current = {"target": b"", "headers": [], "body": b""}

    def on_url(self, url):
        self.current["target"] += url

    def on_header(self, name, value):
        self.current["headers"].append([name, value])

    def on_headers_complete(self):
        # llhttp reports chunked trailer fields through on_header too; Apus drops trailers
        # (they are accepted and ignored), so only the head's fields are compared.
        self.current["head_fields"] = len(self.current["headers"])
        self.current["method"] = self.parser.get_method().decode("latin-1")
        self.current["version"] = "HTTP/" + self.parser.get_http_version()

    def on_body(self, body):
        self.current["body"] += body

    def on_message_complete(self):
        self.messages.append(self.current)
        self.current = None


def llhttp(raw):
    """(complete messages, error or None) as llhttp sees `raw`."""
    collector = _Collector()
    parser = httptools.HttpRequestParser(collector)
    collector.parser = parser
    try:
        parser.feed_data(raw)
    except httptools.HttpParserUpgrade:
        return collector.messages, "upgrade"
    except httptools.HttpParserError as error:
        return collector.messages, str(error)
    return collector.messages, None


def apus(cases):
    """Runs the Apus decoder (`apus debug-parse`) over every case in one process."""
    lines = "".join(json.dumps({"id": i, "data": base64.b64encode(raw).decode()}) + "\n"
                    for i, (_, raw) in enumerate(cases))
    result = subprocess.run([APUS_BIN, "debug-parse"], input=lines, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return {r["id"]: r for r in map(json.loads, result.stdout.splitlines())}


def normalized_llhttp(message):
    return {
        "method": message["method"],
        "target": message["target"].decode("latin-1"),
        "version": message["version"],
        # names compare case-insensitively (Apus lower-cases them, as ASGI does)
        # RFC 9110 §5.5: surrounding whitespace is not part of a field value; llhttp keeps the
        # trailing part, Apus drops it (as h11 does). Leading whitespace both drop.
        "headers": [[n.decode("latin-1").lower(), v.decode("latin-1").rstrip(" \t")]
                    for n, v in message["headers"][:message["head_fields"]]],
        "body": message["body"],
    }


def normalized_apus(message):
    return {
        "method": message["method"],
        "target": message["target"],
        "version": message["version"],
        "headers": message["headers"],
        "body": base64.b64decode(message["body"]),
    }


def test_corpus_is_large_enough():
    assert len(CASES) >= 200


def test_apus_accepts_only_what_llhttp_accepts_and_agrees_on_it():
    results = apus(CASES)
    disagreements = []
    stricter = 0
    for i, (name, raw) in enumerate(CASES):
        theirs, their_error = llhttp(raw)
        ours = results[i]["messages"]
        if len(ours) > len(theirs):
            disagreements.append(f"{name}: Apus accepted {len(ours)} message(s), llhttp {len(theirs)} ({their_error})")
            continue
        for k, message in enumerate(ours):
            a, b = normalized_apus(message), normalized_llhttp(theirs[k])
            if a != b:
                disagreements.append(f"{name}: message {k} differs:\n  apus   {a}\n  llhttp {b}")
        if len(ours) < len(theirs) or ("error" in results[i]) != (their_error is not None):
            stricter += 1
    print(f"{len(CASES)} cases; Apus stricter than llhttp on {stricter}")
    assert not disagreements, "\n".join(disagreements)


def test_valid_requests_are_accepted_in_full():
    """The valid part of the corpus must not be refused: strictness is not an excuse."""
    valid = [(n, r) for n, r in CASES if not n.startswith("smuggling")]
    results = apus(valid)
    refused = []
    for i, (name, raw) in enumerate(valid):
        theirs, _ = llhttp(raw)
        if len(results[i]["messages"]) != len(theirs):
            refused.append(f"{name}: {results[i]}")
    assert not refused, "\n".join(refused)


@pytest.mark.parametrize("name,raw", EXTENSION_METHOD_CASES, ids=[c[0] for c in EXTENSION_METHOD_CASES])
def test_extension_methods_are_left_to_the_router(name, raw):
    _, their_error = llhttp(raw)
    assert their_error is not None  # llhttp only knows registered methods
    [result] = apus([(name, raw)]).values()
    assert len(result["messages"]) == 1 and "error" not in result
