"""llhttp's own request test vectors (llhttp_vectors.json, imported from nodejs/llhttp's
test/request by llhttp_vectors_import.py) run through the Apus decoder and through llhttp
(httptools), under the rule of test_differential.py: Apus may refuse more than llhttp, never
less, and where both accept a message they agree on it."""
import base64
import json
import re
from collections import Counter
from pathlib import Path

from test_differential import apus, llhttp, normalized_apus, normalized_llhttp

VECTORS = json.loads(Path(__file__).with_name("llhttp_vectors.json").read_text(encoding="utf-8"))
CASES = [(f"{v['file']}: {v['name']}", base64.b64decode(v["raw_b64"])) for v in VECTORS]

# Methods llhttp refuses that are still valid method tokens, so Apus leaves them to the router
# (like test_differential.py's extension methods): llhttp allows ANNOUNCE only with RTSP/,
# does not know MKCOLA, and takes PRI for the start of an HTTP/2 connection preface.
LEFT_TO_ROUTER = {
    "invalid.md: HTTP protocol and ANNOUNCE method",
    "invalid.md: Invalid method",
    "method.md: PRI request HTTP2",
}


def with_host(raw):
    return raw.replace(b" HTTP/1.1\r\n", b" HTTP/1.1\r\nHost: example.com\r\n")


# Apus refuses an HTTP/1.1 request without Host (RFC 9112 §3.2 asks for a 400); llhttp does not
# check. That refusal would hide the rest of those vectors, so they also run with a Host field
# after each HTTP/1.1 request line (both parsers get the same bytes, so the comparison holds).
HOST_ADDED = [(name, with_host(raw)) for name, raw in CASES
              if b" HTTP/1.1\r\n" in raw and not re.search(rb"(?im)^host:", raw)]


def head_only(message):
    return {key: value for key, value in message.items() if key != "body"}


def compare(cases):
    """Runs `cases` through both parsers; returns a tally of outcomes and the disagreements."""
    results = apus(cases)
    tally = Counter()
    disagreements = []
    for i, (name, raw) in enumerate(cases):
        theirs, their_error = llhttp(raw)
        result = results[i]
        ours = result["messages"]
        tally["rejects" if "error" in result else "accepts"] += 1
        apus_said = f"Apus: {len(ours)} message(s), {result.get('reason', 'no error')}"
        llhttp_said = f"llhttp: {len(theirs)} message(s), {their_error or 'no error'}"

        if name in LEFT_TO_ROUTER:
            assert not theirs and their_error not in (None, "upgrade"), f"{name}: {llhttp_said}"
            tally["router"] += 1
            continue
        if len(ours) > len(theirs):
            disagreements.append(f"{name}: Apus accepts more than llhttp\n"
                                 f"  raw    {raw!r}\n  {apus_said}\n  {llhttp_said}")
            continue
        for k, message in enumerate(ours):
            a, b = normalized_apus(message), normalized_llhttp(theirs[k])
            if their_error == "upgrade" and k == len(theirs) - 1:
                # llhttp hands the connection over after this message, and httptools tells it
                # to skip the message's body (its on_headers_complete returns 1 on upgrades);
                # for CONNECT llhttp never reads one, where Apus frames it by Content-Length
                # like any request. Only the head is comparable.
                a, b = head_only(a), head_only(b)
            if a != b:
                disagreements.append(f"{name}: message {k} differs\n"
                                     f"  raw    {raw!r}\n  apus   {a}\n  llhttp {b}")

        # After an upgrade the bytes are not HTTP for llhttp, and after a `Connection: close`
        # message it reports any further byte as an error where Apus just stops reading: in
        # both cases only the messages before that point are comparable.
        llhttp_stopped = their_error == "upgrade" or (their_error or "").startswith("Data after")
        llhttp_failed = their_error is not None and not llhttp_stopped
        if len(ours) == len(theirs) and (llhttp_stopped or ("error" in result) == llhttp_failed):
            tally["agrees"] += 1
        elif len(ours) < len(theirs) or "error" in result:
            tally["stricter"] += 1
        else:
            # the vector ends early and Apus waits for the rest, where llhttp already failed
            tally["reading"] += 1
    return tally, disagreements


def summary(cases, tally):
    return (f"{len(cases)} vectors, Apus accepts {tally['accepts']}, rejects {tally['rejects']}, "
            f"agrees with llhttp on {tally['agrees']}, stricter on {tally['stricter']}, "
            f"still reading on {tally['reading']} where llhttp has failed, "
            f"leaves {tally['router']} to the router")


def test_vectors_are_all_there():
    # 131 when imported; a floor, so that the data cannot silently vanish
    assert len(VECTORS) >= 120
    assert len(HOST_ADDED) >= 80


def test_apus_accepts_only_what_llhttp_accepts_and_agrees_on_it():
    tally, disagreements = compare(CASES)
    print("\nllhttp vectors: " + summary(CASES, tally))
    assert not disagreements, "\n".join(disagreements)


def test_same_with_a_host_field_added():
    tally, disagreements = compare(HOST_ADDED)
    print("\nllhttp vectors with a Host field added: " + summary(HOST_ADDED, tally))
    assert not disagreements, "\n".join(disagreements)
