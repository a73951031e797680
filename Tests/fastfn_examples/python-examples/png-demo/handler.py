# Modelled on examples/functions/python/png-demo: GET /png-demo returns a PNG as a binary
# response (is_base64 + body_base64).
import base64
import struct
import zlib


def tiny_png():
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\x22\xc5\x5e")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def handler(event):
    return {"status": 200, "headers": {"Content-Type": "image/png"}, "is_base64": True,
            "body_base64": base64.b64encode(tiny_png()).decode()}
