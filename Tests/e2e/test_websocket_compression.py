"""permessage-deflate (RFC 7692) over real sockets: negotiated as websockets (uvicorn's
backend) negotiates it, messages compressed both ways with the context taken over, fragments,
and the limits checked on the inflated size."""
import zlib

import pytest

from ws_client import CLOSE, CONTINUATION, TEXT, BINARY, Client, handshake

OFFER = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"


class Deflater:
    """The client's side: one raw deflate stream for the session (context takeover)."""

    def __init__(self):
        self.compressor = zlib.compressobj(wbits=-15)
        self.decompressor = zlib.decompressobj(wbits=-12)

    def compress(self, data):
        out = self.compressor.compress(data) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
        assert out.endswith(b"\x00\x00\xff\xff")
        return out[:-4]

    def decompress(self, data):
        return self.decompressor.decompress(data + b"\x00\x00\xff\xff")


@pytest.fixture
def server(start_app):
    return start_app("websockets_app:app")


def test_the_offer_is_accepted_with_the_servers_windows(server):
    client = Client(server, "/echo", headers=[OFFER])
    assert client.headers["sec-websocket-extensions"] == \
        "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"


def test_messages_are_compressed_both_ways_across_messages_and_fragments(server):
    client = Client(server, "/echo", headers=[OFFER])
    deflate = Deflater()
    for text in ["héllo, wörld " * 50, "héllo, wörld " * 50 + "again", "short"]:
        client.send_frame(TEXT, deflate.compress(text.encode()), rsv=0x4)
        opcode, payload = client.read_frame()
        assert opcode == TEXT and client.last_rsv1
        assert deflate.decompress(payload).decode() == text
    data = bytes(range(256)) * 400
    compressed = deflate.compress(data)
    half = len(compressed) // 2
    client.send_frame(BINARY, compressed[:half], fin=False, rsv=0x4)
    client.send_frame(CONTINUATION, compressed[half:], fin=True)
    opcode, payload = client.read_frame()
    assert opcode == BINARY and deflate.decompress(payload) == data
    # An uncompressed message in a compressed session is fine too.
    client.send_text("plain")
    opcode, payload = client.read_frame()
    assert deflate.decompress(payload) == b"plain"


def test_a_message_past_the_limit_once_inflated_closes_with_1009(start_app):
    server = start_app("websockets_app:app", "--ws-max-size", "100000")
    client = Client(server, "/echo", headers=[OFFER])
    bomb = Deflater().compress(b"\x00" * 1_000_000)
    assert len(bomb) < 2000
    client.send_frame(BINARY, bomb, rsv=0x4)
    assert client.read_close()[0] == 1009


def test_invalid_deflate_data_closes_with_1007(server):
    client = Client(server, "/echo", headers=[OFFER])
    client.send_frame(TEXT, b"\xff\xff\xff\xff not deflate", rsv=0x4)
    assert client.read_close()[0] == 1007


def test_rsv1_on_a_continuation_frame_is_a_protocol_error(server):
    client = Client(server, "/echo", headers=[OFFER])
    client.send_frame(TEXT, Deflater().compress(b"abc"), fin=False, rsv=0x4)
    client.send_frame(CONTINUATION, b"", fin=True, rsv=0x4)
    assert client.read_close()[0] == 1002


@pytest.mark.parametrize("offer", [
    "permessage-deflate; server_max_window_bits=8",  # zlib cannot make a 256-byte window
    "permessage-deflate; server_max_window_bits=16",
    "permessage-deflate; unknown_parameter",
    "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
    "x-webkit-deflate-frame",
])
def test_offers_the_server_cannot_keep_are_declined(server, offer):
    _, status, headers, _ = handshake(server, "/echo", headers=["Sec-WebSocket-Extensions: " + offer])
    assert status == 101 and "sec-websocket-extensions" not in headers


def test_the_second_offer_is_taken_when_the_first_cannot_be(server):
    offer = ("Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=8, "
             "permessage-deflate; server_no_context_takeover; client_no_context_takeover")
    client = Client(server, "/echo", headers=[offer])
    assert client.headers["sec-websocket-extensions"] == (
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12")
    for _ in range(2):  # no context kept between messages, on either side
        # Each message a whole deflate stream (a final block), as some clients send them.
        compressor = zlib.compressobj(wbits=-15)
        client.send_frame(TEXT, compressor.compress(b"same") + compressor.flush(), rsv=0x4)
        opcode, payload = client.read_frame()
        assert zlib.decompressobj(wbits=-12).decompress(payload + b"\x00\x00\xff\xff") == b"same"


def test_compression_can_be_turned_off(start_app):
    server = start_app("websockets_app:app", "--ws-per-message-deflate", "false")
    client = Client(server, "/echo", headers=[OFFER])
    assert "sec-websocket-extensions" not in client.headers
    client.send_text("plain")
    assert client.read_frame() == (TEXT, b"plain") and not client.last_rsv1
