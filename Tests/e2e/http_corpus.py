"""Raw requests for the parser's differential test: valid requests in many shapes, and the
malformed and ambiguous ones that request-smuggling attacks are built from."""

H = b"Host: example.com\r\n"


def _valid():
    cases = []
    methods = [b"GET", b"POST", b"PUT", b"DELETE", b"PATCH", b"HEAD", b"OPTIONS"]
    targets = [b"/", b"/a/b/c", b"/a?x=1&y=2", b"/%20space", b"/a;b=c", b"/a/../b",
               b"http://example.com/abs?q=1", b"/~user/file.txt", b"/q?a=%2F&b=%zz", b"/x#frag"]
    for i, method in enumerate(methods):
        for j, target in enumerate(targets):
            if (i + j) % 2 == 0:
                cases.append((f"{method.decode()} {target.decode()}", method + b" " + target + b" HTTP/1.1\r\n" + H + b"\r\n"))
    cases.append(("OPTIONS *", b"OPTIONS * HTTP/1.1\r\n" + H + b"\r\n"))
    header_shapes = [
        ("no space after colon", b"X-A:value\r\n"),
        ("several spaces", b"X-A:     value\r\n"),
        ("tab before value", b"X-A:\tvalue\r\n"),
        ("trailing spaces", b"X-A: value   \r\n"),
        ("trailing tab", b"X-A: value\t\r\n"),
        ("empty value", b"X-A:\r\n"),
        ("empty value with space", b"X-A: \r\n"),
        ("inner spaces", b"X-A: a b  c\r\n"),
        ("mixed case name", b"x-MiXeD-CaSe: v\r\n"),
        ("token chars in name", b"X!#$%&'*+-.^_`|~09: v\r\n"),
        ("quoted value", b'X-A: "quoted, with comma"\r\n'),
        ("obs-text value", b"X-A: caf\xe9\r\n"),
        ("utf-8 value", "X-A: caf\u00e9 \u2603\r\n".encode()),
        ("repeated header", b"Accept: a\r\nAccept: b\r\n"),
        ("cookie", b"Cookie: a=1; b=2\r\n"),
        ("long value", b"X-Long: " + b"v" * 4000 + b"\r\n"),
        ("many headers", b"".join(b"X-%d: %d\r\n" % (n, n) for n in range(60))),
        ("connection close", b"Connection: close\r\n"),
        ("connection keep-alive", b"Connection: keep-alive\r\n"),
        ("connection list", b"Connection: keep-alive, Upgrade-Insecure\r\n"),
        ("punctuation value", b"X-A: !#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\r\n"),
    ]
    for name, field in header_shapes:
        cases.append((f"header {name}", b"GET /h HTTP/1.1\r\n" + H + field + b"\r\n"))
    bodies = [b"", b"x", b"hello world", b"\x00\x01\x02binary\xff", b"a" * 10000, b"line1\r\nline2\r\n"]
    for body in bodies:
        cases.append((f"content-length body {len(body)}",
                      b"POST /b HTTP/1.1\r\n" + H + b"Content-Length: %d\r\n\r\n" % len(body) + body))
    chunked = [
        ("one chunk", b"5\r\nhello\r\n0\r\n\r\n"),
        ("two chunks", b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"),
        ("upper hex", b"A\r\n0123456789\r\n0\r\n\r\n"),
        ("lower hex", b"a\r\n0123456789\r\n0\r\n\r\n"),
        ("leading zeros", b"0005\r\nhello\r\n0\r\n\r\n"),
        ("extension", b"5;name=value\r\nhello\r\n0\r\n\r\n"),
        ("quoted extension", b'5;name="va lue"\r\nhello\r\n0\r\n\r\n'),
        ("extension on last chunk", b"5\r\nhello\r\n0;last\r\n\r\n"),
        ("trailer", b"5\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n"),
        ("two trailers", b"5\r\nhello\r\n0\r\nA: 1\r\nB: 2\r\n\r\n"),
        ("empty body", b"0\r\n\r\n"),
        ("crlf in data", b"4\r\n\r\n\r\n\r\n0\r\n\r\n"),
        ("big chunk", b"2710\r\n" + b"z" * 10000 + b"\r\n0\r\n\r\n"),
    ]
    for name, body in chunked:
        cases.append((f"chunked {name}",
                      b"POST /c HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n" + body))
    cases.append(("chunked TE case-insensitive",
                  b"POST /c HTTP/1.1\r\n" + H + b"Transfer-Encoding: Chunked\r\n\r\n1\r\na\r\n0\r\n\r\n"))
    http10 = [
        ("1.0 no host", b"GET / HTTP/1.0\r\n\r\n"),
        ("1.0 with host", b"GET / HTTP/1.0\r\n" + H + b"\r\n"),
        ("1.0 keep-alive", b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
        ("1.0 body", b"POST / HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc"),
    ]
    cases += http10
    pipelines = [
        ("two gets", b"GET /1 HTTP/1.1\r\n" + H + b"\r\nGET /2 HTTP/1.1\r\n" + H + b"\r\n"),
        ("post then get", b"POST /1 HTTP/1.1\r\n" + H + b"Content-Length: 2\r\n\r\nokGET /2 HTTP/1.1\r\n" + H + b"\r\n"),
        ("chunked then get", b"POST /1 HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
         b"GET /2 HTTP/1.1\r\n" + H + b"\r\n"),
        ("three", (b"GET /x HTTP/1.1\r\n" + H + b"\r\n") * 3),
        ("leading empty line", b"\r\nGET /after-crlf HTTP/1.1\r\n" + H + b"\r\n"),
        ("empty line between", b"POST /1 HTTP/1.1\r\n" + H + b"Content-Length: 1\r\n\r\nx\r\nGET /2 HTTP/1.1\r\n" + H + b"\r\n"),
    ]
    cases += [(f"pipeline {n}", raw) for n, raw in pipelines]
    # every body shape again with a request right behind it: the body must end exactly
    follow = b"GET /next HTTP/1.1\r\n" + H + b"\r\n"
    cases += [(f"{name} + pipelined get", raw + follow)
              for name, raw in list(cases) if name.startswith(("chunked", "content-length"))]
    # every header shape in an HTTP/1.0 request
    cases += [(f"1.0 header {name}", b"GET /h HTTP/1.0\r\n" + field + b"\r\n") for name, field in header_shapes]
    cases += [(f"1.0 {name}", raw.replace(b" HTTP/1.1\r\n", b" HTTP/1.0\r\n", 1))
              for name, raw in list(cases) if name.startswith("content-length")]
    return cases


def _smuggling():
    te = b"Transfer-Encoding"
    post = b"POST /s HTTP/1.1\r\n" + H
    body = b"\r\n5\r\nhello\r\n0\r\n\r\n"
    cases = [
        ("CL.TE", post + b"Content-Length: 6\r\n" + te + b": chunked\r\n" + body),
        ("TE.CL", post + te + b": chunked\r\nContent-Length: 6\r\n" + body),
        ("TE trailing space", post + te + b": chunked \r\n" + body),
        ("TE leading tab", post + te + b":\tchunked\r\n" + body),
        ("TE space before colon", post + te + b" : chunked\r\n" + body),
        ("TE tab before colon", post + te + b"\t: chunked\r\n" + body),
        ("TE obs-fold", post + te + b":\r\n chunked\r\n" + body),
        ("TE xchunked", post + te + b": xchunked\r\n" + body),
        ("TE chunkedx", post + te + b": chunkedx\r\n" + body),
        ("TE quoted", post + te + b': "chunked"\r\n' + body),
        ("TE chunked, identity", post + te + b": chunked, identity\r\n" + body),
        ("TE identity, chunked", post + te + b": identity, chunked\r\n" + body),
        ("TE gzip", post + te + b": gzip\r\n" + body),
        ("TE twice chunked", post + te + b": chunked\r\n" + te + b": chunked\r\n" + body),
        ("TE chunked then gzip header", post + te + b": chunked\r\n" + te + b": gzip\r\n" + body),
        ("TE empty", post + te + b":\r\n" + body),
        ("TE comma only", post + te + b": ,\r\n" + body),
        ("TE with NUL", post + te + b": chun\x00ked\r\n" + body),
        ("TE vertical tab", post + te + b":\x0bchunked\r\n" + body),
        ("TE underscore name", post + b"Transfer_Encoding: chunked\r\n" + body),
        ("TE in 1.0", b"POST /s HTTP/1.0\r\n" + te + b": chunked\r\n" + body),
        ("CL plus sign", post + b"Content-Length: +5\r\n\r\nhello"),
        ("CL negative", post + b"Content-Length: -5\r\n\r\nhello"),
        ("CL hex", post + b"Content-Length: 0x5\r\n\r\nhello"),
        ("CL leading zeros", post + b"Content-Length: 005\r\n\r\nhello"),
        ("CL trailing space", post + b"Content-Length: 5 \r\n\r\nhello"),
        ("CL inner space", post + b"Content-Length: 5 5\r\n\r\nhello"),
        ("CL comma list same", post + b"Content-Length: 5, 5\r\n\r\nhello"),
        ("CL comma list differing", post + b"Content-Length: 5, 6\r\n\r\nhello"),
        ("CL duplicate same", post + b"Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
        ("CL duplicate differing", post + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
        ("CL empty", post + b"Content-Length:\r\n\r\n"),
        ("CL letters", post + b"Content-Length: five\r\n\r\nhello"),
        ("CL space before colon", post + b"Content-Length : 5\r\n\r\nhello"),
        ("CL obs-fold", post + b"Content-Length:\r\n 5\r\n\r\nhello"),
        ("CL huge", post + b"Content-Length: 99999999999999999999999\r\n\r\n"),
        ("chunk size with 0x", post + te + b": chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"),
        ("chunk size leading space", post + te + b": chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n"),
        ("chunk size trailing space", post + te + b": chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n"),
        ("chunk size negative", post + te + b": chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"),
        ("chunk size huge", post + te + b": chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
        ("chunk LF only", post + te + b": chunked\r\n\r\n5\nhello\n0\n\n"),
        ("chunk data LF only", post + te + b": chunked\r\n\r\n5\r\nhello\n0\r\n\r\n"),
        ("chunk data too long", post + te + b": chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n"),
        ("chunk ext bare CR", post + te + b": chunked\r\n\r\n5;a\rb\r\nhello\r\n0\r\n\r\n"),
        ("chunk ext LF", post + te + b": chunked\r\n\r\n5;a\nb\r\nhello\r\n0\r\n\r\n"),
        ("chunk ext empty", post + te + b": chunked\r\n\r\n2;\r\naa\r\n0\r\n\r\n"),
        ("chunk ext double semicolon", post + te + b": chunked\r\n\r\n2;;\r\naa\r\n0\r\n\r\n"),
        ("chunk ext space after semicolon", post + te + b": chunked\r\n\r\n2; \r\naa\r\n0\r\n\r\n"),
        ("chunk ext unclosed quote", post + te + b": chunked\r\n\r\n2;a=\"x\r\naa\r\n0\r\n\r\n"),
        ("chunk ext space in name", post + te + b": chunked\r\n\r\n2;a b\r\naa\r\n0\r\n\r\n"),
        ("chunk ext space in value", post + te + b": chunked\r\n\r\n2;a=b c\r\naa\r\n0\r\n\r\n"),
        ("chunk ext parenthesis value", post + te + b": chunked\r\n\r\n2;a=(b)\r\naa\r\n0\r\n\r\n"),
        ("chunk ext empty value", post + te + b": chunked\r\n\r\n2;a=\r\naa\r\n0\r\n\r\n"),
        ("chunk ext escaped quote", post + te + b": chunked\r\n\r\n2;a=\"x\\\"y\"\r\naa\r\n0\r\n\r\n"),
        ("chunk ext two extensions", post + te + b": chunked\r\n\r\n2;a=1;b\r\naa\r\n0\r\n\r\n"),
        ("chunk missing data CRLF", post + te + b": chunked\r\n\r\n5\r\nhello0\r\n\r\n"),
        ("trailer obs-fold", post + te + b": chunked\r\n\r\n0\r\nA: 1\r\n b\r\n\r\n"),
        ("trailer bare LF", post + te + b": chunked\r\n\r\n0\r\nA: 1\n\r\n"),
        ("trailer no colon", post + te + b": chunked\r\n\r\n0\r\nbogus\r\n\r\n"),
        ("bare LF request line", b"GET / HTTP/1.1\n" + H + b"\r\n"),
        ("bare LF header", b"GET / HTTP/1.1\r\nHost: x\n\r\n"),
        ("bare LF end", b"GET / HTTP/1.1\r\n" + H + b"\n"),
        ("bare CR header", b"GET / HTTP/1.1\r\n" + H + b"X: a\rb\r\n\r\n"),
        ("bare CR request line", b"GET /\r HTTP/1.1\r\n" + H + b"\r\n"),
        ("NUL in value", b"GET / HTTP/1.1\r\n" + H + b"X: a\x00b\r\n\r\n"),
        ("DEL in value", b"GET / HTTP/1.1\r\n" + H + b"X: a\x7fb\r\n\r\n"),
        ("ctl in value", b"GET / HTTP/1.1\r\n" + H + b"X: a\x01b\r\n\r\n"),
        ("space in name", b"GET / HTTP/1.1\r\n" + H + b"X Y: 1\r\n\r\n"),
        ("at in name", b"GET / HTTP/1.1\r\n" + H + b"X@Y: 1\r\n\r\n"),
        ("bracket in name", b"GET / HTTP/1.1\r\n" + H + b"X[Y]: 1\r\n\r\n"),
        ("empty name", b"GET / HTTP/1.1\r\n" + H + b": 1\r\n\r\n"),
        ("no colon", b"GET / HTTP/1.1\r\n" + H + b"NoColon\r\n\r\n"),
        ("obs-fold first header", b"GET / HTTP/1.1\r\n X: 1\r\n" + H + b"\r\n"),
        ("obs-fold tab", b"GET / HTTP/1.1\r\n" + H + b"X: 1\r\n\tmore\r\n\r\n"),
        ("version lowercase", b"GET / http/1.1\r\n" + H + b"\r\n"),
        ("version missing", b"GET /\r\n" + H + b"\r\n"),
        ("version 2 digits", b"GET / HTTP/1.10\r\n" + H + b"\r\n"),
        ("version garbage", b"GET / HTTP/x.y\r\n" + H + b"\r\n"),
        ("version 0.9", b"GET / HTTP/0.9\r\n" + H + b"\r\n"),
        ("version 2.0", b"GET / HTTP/2.0\r\n" + H + b"\r\n"),
        ("version trailing space", b"GET / HTTP/1.1 \r\n" + H + b"\r\n"),
        ("double space after method", b"GET  / HTTP/1.1\r\n" + H + b"\r\n"),
        ("tab separator", b"GET\t/\tHTTP/1.1\r\n" + H + b"\r\n"),
        ("leading space request line", b" GET / HTTP/1.1\r\n" + H + b"\r\n"),
        ("missing target", b"GET HTTP/1.1\r\n" + H + b"\r\n"),
        ("method with slash", b"GE/T / HTTP/1.1\r\n" + H + b"\r\n"),
        ("space in target", b"GET /a b HTTP/1.1\r\n" + H + b"\r\n"),
        ("control in target", b"GET /a\x01 HTTP/1.1\r\n" + H + b"\r\n"),
        ("DEL in target", b"GET /a\x7f HTTP/1.1\r\n" + H + b"\r\n"),
        ("high byte in target", b"GET /caf\xe9 HTTP/1.1\r\n" + H + b"\r\n"),
        ("missing host 1.1", b"GET / HTTP/1.1\r\n\r\n"),
        ("two hosts", b"GET / HTTP/1.1\r\n" + H + H + b"\r\n"),
        ("header line only spaces", b"GET / HTTP/1.1\r\n" + H + b"   \r\n\r\n"),
        ("LF LF end", b"GET / HTTP/1.1\r\n" + H + b"\n\n"),
        ("CR CR end", b"GET / HTTP/1.1\r\n" + H + b"\r\r"),
        ("expect unknown", b"GET / HTTP/1.1\r\n" + H + b"Expect: something\r\n\r\n"),
        ("pipeline smuggled by CL.TE", post + b"Content-Length: 4\r\n" + te + b": chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\n" + H + b"\r\n"),
        ("pipeline smuggled by TE space", post + te + b" : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\n" + H + b"\r\n"),
    ]
    return [(f"smuggling {name}", raw) for name, raw in cases]


def _extension_methods():
    """Methods llhttp does not know. RFC 9110 allows any token, and Apus leaves unknown methods
    to the router (405/404), so these are the one documented place where Apus accepts more."""
    return [(f"extension method {m}", m.encode() + b" / HTTP/1.1\r\n" + H + b"\r\n")
            for m in ["FOO", "BREW", "X-CUSTOM", "get"]]


CASES = _valid() + _smuggling()
EXTENSION_METHOD_CASES = _extension_methods()
