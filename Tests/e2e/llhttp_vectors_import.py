"""Converts llhttp's request test vectors into llhttp_vectors.json.

The data comes from the markdown files in test/request/ of https://github.com/nodejs/llhttp
(MIT licence, Copyright Fedor Indutny, 2018). Each test there is a heading, a
`<!-- meta={...} -->` comment, an ```http block holding the raw request and a ```log block
holding the parser events llhttp's own harness (test/md-test.ts) expects.

Regenerate from a checkout of llhttp (writes llhttp_vectors.json beside this script and lists
what it skipped, and why, on stderr):

    python llhttp_vectors_import.py /path/to/llhttp/test/request

The stored JSON was made from these versions of the files:
    connection.md, sample.md                            311e81465d4dc168a7b1fcdbb275431f46fa8c09
    content-length.md, uri.md                           b9d46bcbe5a06d518e4c9ff296afddf94f862ed6
    finish.md, lenient-headers.md                       daa52754835f3c5762e0d3bb021ff159213bbdff
    invalid.md                                          10ff94eb252e0e7cb792dcde6d40d0e46b794f8a
    lenient-header-value-relaxed.md                     7fdb003e0836c06887a1b863c59fb328caf57029
    lenient-host-header.md                              588c3a18eb22eac0d39e42bf9856155693ebb3c0
    lenient-version.md                                  182e4b60b5feec071e9a166cba255e745d852d02
    lenient.md                                          5f29a33a00b305986cee0395e77bde1828327507
    lenitent-host-header.md                             c168e8ed00b83eb4a82b0e5cd5861ca12e5c56f4
    method.md                                           6a020b388483b49d3e9b0a0f50fa150077de8ea4
    pausing.md                                          11ceb694c3a6838966af454ead5b8f91b54098b3
    pipelining.md                                       7094b9798fa3418246e07266fe348ac0830a373f
    transfer-encoding.md                                991488bc972d91e2a654972809e1f2d1cb56d7a0

Only vectors for the default (strict) request parser are kept: llhttp also builds parsers with
lenient flags, a loose mode and a response mode, and their expectations say nothing about ours.
"""
import base64
import json
import re
import sys
from pathlib import Path

# Meta types that run the plain request parser. `request-finish` also calls llhttp_finish()
# at the end, which does not change how the bytes are parsed.
DEFAULT_PARSER_TYPES = {"request", "request-only", "request-finish"}

HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
FENCE = re.compile(r"^ {0,3}(`{3,})[ \t]*([^`\s]*)")
META = re.compile(r"<!--\s+meta=(.*)\s+-->")
SPAN = re.compile(r'^off=(\d+)\s+len=(\d+)\s+span\[[^\]]+\]=(?:"(.*)"|(cr|lf))$')


def markdown_tests(text):
    """(heading, meta, blocks) for every heading with fenced blocks, read as llhttp's harness
    reads the file (through mdgator): a fence belongs to the innermost heading, if that is not
    the document's title, and a meta comment to the next fence under the same heading."""
    lines = text.split("\n")
    stack, tests = [], []
    meta = None
    paragraph = False
    i = 0
    while i < len(lines):
        line = lines[i]
        heading = HEADING.match(line)
        setext = SETEXT.match(line) if paragraph else None
        fence = FENCE.match(line)
        if heading or setext:
            # a setext heading ("Title" over "=====") takes its name from the line above
            depth = len(heading[1]) - 1 if heading else (0 if setext[1][0] == "=" else 1)
            name = (heading[2] or "") if heading else lines[i - 1].strip()
            while stack and stack[-1]["depth"] >= depth:
                stack.pop()
            node = {"depth": depth, "name": name, "meta": [], "blocks": {}}
            stack.append(node)
            tests.append(node)
            meta, paragraph = None, False
        elif fence:
            ticks, info = fence[1], fence[2]
            body = []
            i += 1
            while i < len(lines) and not re.match(r"^ {0,3}" + ticks + r"`*[ \t]*$", lines[i]):
                body.append(lines[i])
                i += 1
            content = "".join(line + "\n" for line in body)
            if len(stack) > 1:
                stack[-1]["blocks"].setdefault(info, []).append(content)
                if meta is not None:
                    stack[-1]["meta"].append((info, meta))
                    meta = None
            paragraph = False
        elif line.lstrip().startswith("<!--"):
            comment = [line]
            while "-->" not in comment[-1] and i + 1 < len(lines):
                i += 1
                comment.append(lines[i])
            found = META.search("\n".join(comment))
            if found:
                meta = json.loads(found[1])
            paragraph = False
        else:
            paragraph = bool(line.strip())
        i += 1
    return [(t["name"], dict(t["meta"]).get("http"), t["blocks"]) for t in tests if t["blocks"]]


def raw_request(block):
    """The bytes llhttp's harness feeds for an ```http block (see test/md-test.ts): real line
    ends become CRLF, a backslash at a line end joins lines, and \\r \\n \\t \\f \\xHH and
    octal escapes stand for those bytes. The harness passes the text as UTF-8."""
    text = block[:-1] if block.endswith("\n") else block
    text = re.sub(r"\\(\r\n|\r|\n)", "", text)
    text = re.sub(r"\r\n|\r|\n", "\r\n", text)
    for escape, char in (("\\r", "\r"), ("\\n", "\n"), ("\\t", "\t"), ("\\f", "\f")):
        text = text.replace(escape, char)
    text = re.sub(r"\\x([0-9a-fA-F]+)", lambda m: chr(int(m[1], 16) & 0xFFFF), text)
    text = re.sub(r"\\([0-7]{1,3})", lambda m: chr(int(m[1], 8)), text)
    if re.search(r"\$\{(.+?)\}", text):
        raise ValueError("inline JavaScript in a vector is not supported: " + block)
    return text.encode("utf-8")


def log_matches(raw, log):
    """Whether every span in the expected log names the bytes at its offset: a check that the
    conversion above produced what llhttp's harness parsed."""
    log = log.replace("\\t", "\t").replace("\\f", "\f")
    for line in log.split("\n"):
        span = SPAN.match(line)
        if span:
            start, length = int(span[1]), int(span[2])
            value = span[3] if span[3] is not None else {"cr": "\r", "lf": "\n"}[span[4]]
            if raw[start:start + length].decode("utf-8", "replace") != value:
                return False
    return True


def skip_reason(meta, raw, log):
    if meta is None:
        return "no meta comment (llhttp's harness refuses such a test)"
    kind = meta.get("type")
    if kind not in DEFAULT_PARSER_TYPES:
        return f"type {kind!r} is not the default request parser"
    if meta.get("mode", "strict") != "strict":
        return f"mode {meta['mode']!r} only"
    if log is None:
        return "no log block"
    if not log_matches(raw, log):
        return "its log does not describe these bytes (the test never ran in llhttp's harness)"
    return None


def convert(directory):
    vectors, skipped = [], []
    for path in sorted(Path(directory).glob("*.md")):
        for name, meta, blocks in markdown_tests(path.read_text(encoding="utf-8")):
            if "http" not in blocks:
                continue
            raw = raw_request(blocks["http"][0])
            log = blocks.get("log", [None])[0]
            reason = skip_reason(meta, raw, log)
            if reason:
                skipped.append((path.name, name, reason))
                continue
            vectors.append({
                "file": path.name,
                "name": name,
                "raw_b64": base64.b64encode(raw).decode(),
                "llhttp_expects_error": "error code=" in log,
            })
    return vectors, skipped


def main():
    vectors, skipped = convert(sys.argv[1])
    out = Path(__file__).with_name("llhttp_vectors.json")
    out.write_text(json.dumps(vectors, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for file, name, reason in skipped:
        print(f"skipped {file}: {name}: {reason}", file=sys.stderr)
    print(f"{len(vectors)} vectors written to {out.name}, {len(skipped)} skipped", file=sys.stderr)


if __name__ == "__main__":
    main()
