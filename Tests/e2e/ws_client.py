"""A small WebSocket client over a raw socket, for tests that need to send what a library
would refuse to (invalid UTF-8, unmasked or oversized frames, a close in mid-message)."""
import base64
import hashlib
import os
import socket
import struct

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE, PING, PONG, CONTINUATION = 0x1, 0x2, 0x8, 0x9, 0xA, 0x0


def handshake(server, path, headers=(), version="13"):
    """Opens a connection and sends the handshake; returns (socket, status, headers dict, key)."""
    sock = server.connect()
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [f"GET {path} HTTP/1.1", "Host: x", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Key: {key}", f"Sec-WebSocket-Version: {version}", *headers]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            break
        head += chunk
    status_line, *fields = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ")[1])
    found = {}
    for field in fields:
        if field:
            name, _, value = field.partition(":")
            found[name.strip().lower()] = value.strip()
    return sock, status, found, key


def expected_accept(key):
    return base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()


class Client:
    def __init__(self, server, path, headers=()):
        self.sock, status, self.headers, key = handshake(server, path, headers)
        assert status == 101, (status, self.headers)
        assert self.headers["sec-websocket-accept"] == expected_accept(key)

    def send_frame(self, opcode, payload=b"", fin=True, mask=True, rsv=0):
        first = (0x80 if fin else 0) | rsv << 4 | opcode
        length = len(payload)
        if length < 126:
            head = struct.pack("!BB", first, (0x80 if mask else 0) | length)
        elif length < 65536:
            head = struct.pack("!BBH", first, (0x80 if mask else 0) | 126, length)
        else:
            head = struct.pack("!BBQ", first, (0x80 if mask else 0) | 127, length)
        if mask:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload)) if length < 65536 else _mask(payload, key)
            head += key
        self.sock.sendall(head + payload)

    def send_text(self, text):
        self.send_frame(TEXT, text.encode())

    def send_close(self, code=1000, reason=b""):
        self.send_frame(CLOSE, struct.pack("!H", code) + reason)

    def _read(self, count):
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("closed after %d of %d bytes" % (len(data), count))
            data += chunk
        return data

    def read_frame(self):
        """(opcode, payload) of the next frame from the server (which must not mask)."""
        first, second = self._read(2)
        assert second & 0x80 == 0, "server frames are never masked"
        self.last_rsv1 = bool(first & 0x40)
        length = second & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read(8))[0]
        return first & 0x0F, self._read(length)

    def read_close(self):
        """The server's close code and reason (skipping other frames)."""
        while True:
            opcode, payload = self.read_frame()
            if opcode == CLOSE:
                if not payload:
                    return None, ""
                return struct.unpack("!H", payload[:2])[0], payload[2:].decode()

    def closed_by_server(self, timeout=3.0):
        """True once the server has closed the TCP connection."""
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(65536):
                pass
            return True
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionResetError:
            return True


def _mask(payload, key):
    repeated = (key * (len(payload) // 4 + 1))[:len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(payload), "big")
