"""``TestClient.websocket_connect`` over a real socket to the Apus server hosting the app:
Starlette's ``WebSocketTestSession`` interface (``send_text``/``bytes``/``json``, the
``receive_*`` methods, ``close``, the exceptions it raises), with the app served exactly as a
browser's WebSocket would be. Nothing runs in memory.

A close before the accept is a 403 on the wire, which carries no close code; the TestClient's
server (and only it) adds the code and reason in an ``apus-websocket-close`` header, so the
test gets the ``WebSocketDisconnect`` the app raised."""
import base64
import json
import os
import socket
import struct
from urllib.parse import unquote

from starlette.websockets import WebSocketDisconnect

try:
    from starlette.testclient import WebSocketDenialResponse
except ImportError:  # Starlette before the websocket.http.response extension
    WebSocketDenialResponse = None

_TEXT, _BINARY, _CLOSE, _PING, _PONG = 0x1, 0x2, 0x8, 0x9, 0xA
_SERVER_HEADERS = {b"upgrade", b"connection", b"sec-websocket-accept", b"sec-websocket-protocol", b"date", b"server"}


class ApusWebSocketSession:
    def __init__(self, host, port, target, headers, errors, raise_server_exceptions):
        self._address = (host, port)
        self._target = target
        self._headers = headers
        self._errors = errors
        self._raise_server_exceptions = raise_server_exceptions
        self._sock = None
        self._buffer = b""
        self._closed = False
        self.accepted_subprotocol = None
        self.extra_headers = None

    # -- the handshake -----------------------------------------------------------------

    def __enter__(self):
        self._sock = socket.create_connection(self._address)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        lines = [f"GET {self._target} HTTP/1.1"]
        for name, value in self._headers:
            if name.lower() in (b"sec-websocket-key", b"upgrade", b"connection"):
                continue
            lines.append(f"{name.decode('latin-1')}: {value.decode('latin-1')}")
        key = base64.b64encode(os.urandom(16)).decode()
        lines += ["Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {key}"]
        self._sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        status, headers = self._read_head()
        if status == 101:
            self.accepted_subprotocol = next((v.decode() for n, v in headers if n == b"sec-websocket-protocol"), None)
            extra = [(n, v) for n, v in headers if n not in _SERVER_HEADERS]
            self.extra_headers = extra or None
            return self
        body = self._read_body(headers)
        self._sock.close()
        self._raise_server_error()
        closed = next((v.decode() for n, v in headers if n == b"apus-websocket-close"), None)
        if closed is not None:
            code, _, reason = closed.partition(" ")
            raise WebSocketDisconnect(code=int(code), reason=unquote(reason))
        if WebSocketDenialResponse is not None:
            kept = [(n, v) for n, v in headers if n not in (b"date", b"server")]
            raise WebSocketDenialResponse(status_code=status, headers=kept, content=body)
        raise WebSocketDisconnect(code=1000)

    def __exit__(self, *exc_info):
        # What the app raised before the test left the session is raised here; what it raises
        # on hearing the close the test's exit sends (a `WebSocketDisconnect` from a receive
        # loop, say) is not: Starlette's session cancels the app at that point instead.
        before_close = list(self._errors)
        try:
            if not self._closed:
                self.close(1000)
            # Wait for the server to end the session (the app's close, or the connection).
            self._sock.settimeout(10)
            while True:
                try:
                    opcode, _ = self._read_frame()
                except (ConnectionError, OSError):
                    break
                if opcode == _CLOSE:
                    break
        finally:
            self._sock.close()
        self._errors[:] = before_close
        self._raise_server_error()

    def _raise_server_error(self):
        if self._errors:
            error = self._errors[0]
            self._errors.clear()
            if self._raise_server_exceptions:
                raise error

    def _read_head(self):
        while b"\r\n\r\n" not in self._buffer:
            self._fill()
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        status_line, *fields = head.split(b"\r\n")
        headers = []
        for field in fields:
            name, _, value = field.partition(b":")
            headers.append((name.strip().lower(), value.strip()))
        return int(status_line.split(b" ")[1]), headers

    def _read_body(self, headers):
        fields = dict(headers)
        if b"content-length" in fields:
            return self._read_exactly(int(fields[b"content-length"]))
        body = b""
        if fields.get(b"transfer-encoding") == b"chunked":
            while True:
                while b"\r\n" not in self._buffer:
                    self._fill()
                size_line, _, self._buffer = self._buffer.partition(b"\r\n")
                size = int(size_line.split(b";")[0], 16)
                chunk = self._read_exactly(size + 2)[:size]
                if size == 0:
                    return body
                body += chunk
        return body

    # -- frames --------------------------------------------------------------------------

    def _fill(self):
        data = self._sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self._buffer += data

    def _read_exactly(self, count):
        while len(self._buffer) < count:
            self._fill()
        data, self._buffer = self._buffer[:count], self._buffer[count:]
        return data

    def _read_frame(self):
        first, second = self._read_exactly(2)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read_exactly(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read_exactly(8))[0]
        return first & 0x0F, self._read_exactly(length)

    def _send_frame(self, opcode, payload):
        length = len(payload)
        if length < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
        elif length < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
        key = os.urandom(4)
        repeated = (key * (length // 4 + 1))[:length]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(length, "big")
        self._sock.sendall(head + key + masked)

    # -- Starlette's WebSocketTestSession interface ------------------------------------

    def send(self, message):
        kind = message["type"]
        if kind == "websocket.receive":
            if message.get("bytes") is not None:
                self._send_frame(_BINARY, message["bytes"])
            else:
                self._send_frame(_TEXT, message["text"].encode("utf-8"))
        elif kind == "websocket.disconnect":
            self.close(message.get("code", 1000), message.get("reason"))
        else:
            raise RuntimeError(f"a test sends 'websocket.receive' or 'websocket.disconnect', not {kind!r}")

    def send_text(self, data):
        self._send_frame(_TEXT, data.encode("utf-8"))

    def send_bytes(self, data):
        self._send_frame(_BINARY, data)

    def send_json(self, data, mode="text"):
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if mode == "text":
            self._send_frame(_TEXT, text.encode("utf-8"))
        else:
            self._send_frame(_BINARY, text.encode("utf-8"))

    def close(self, code=1000, reason=None):
        if self._closed:
            return
        self._closed = True
        try:
            self._send_frame(_CLOSE, struct.pack("!H", code) + (reason or "").encode("utf-8"))
        except OSError:
            pass

    def receive(self):
        """The next message the app sent, as Starlette's session returns it."""
        while True:
            try:
                opcode, payload = self._read_frame()
            except ConnectionError:
                self._raise_server_error()
                return {"type": "websocket.close", "code": 1006, "reason": ""}
            if opcode == _TEXT:
                return {"type": "websocket.send", "text": payload.decode("utf-8")}
            if opcode == _BINARY:
                return {"type": "websocket.send", "bytes": payload}
            if opcode == _PING:
                self._send_frame(_PONG, payload)
                continue
            if opcode == _CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                if not self._closed:
                    self._closed = True
                    self._send_frame(_CLOSE, payload[:2])
                self._raise_server_error()
                return {"type": "websocket.close", "code": code, "reason": payload[2:].decode("utf-8")}

    def _raise_on_close(self, message):
        if message["type"] == "websocket.close":
            raise WebSocketDisconnect(code=message.get("code", 1000), reason=message.get("reason", ""))

    def receive_text(self):
        message = self.receive()
        self._raise_on_close(message)
        return message["text"]

    def receive_bytes(self):
        message = self.receive()
        self._raise_on_close(message)
        return message["bytes"]

    def receive_json(self, mode="text"):
        message = self.receive()
        self._raise_on_close(message)
        text = message["text"] if mode == "text" else message["bytes"].decode("utf-8")
        return json.loads(text)
