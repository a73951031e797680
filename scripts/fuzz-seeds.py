"""Writes the differential corpus as libFuzzer seed files (one request stream a file)."""
import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Tests", "e2e"))
from http_corpus import CASES, EXTENSION_METHOD_CASES  # noqa: E402

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for _, raw in CASES + EXTENSION_METHOD_CASES:
    with open(os.path.join(out, hashlib.sha1(raw).hexdigest()), "wb") as f:
        f.write(raw[:4096])
