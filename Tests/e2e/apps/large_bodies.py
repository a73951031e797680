"""Large response bodies, whole and streamed, from a plan route and from plain ASGI routes."""
from fastapi import FastAPI
from fastapi.responses import Response, StreamingResponse

app = FastAPI()


@app.api_route("/whole/{size}", methods=["GET", "HEAD"])
def whole(size: int):
    return Response(b"w" * size, media_type="application/octet-stream")


@app.get("/streamed/{size}")
def streamed(size: int):
    piece = 8 * 1024 * 1024

    def pieces():
        for start in range(0, size, piece):
            yield b"s" * min(piece, size - start)

    return StreamingResponse(pieces(), media_type="application/octet-stream")


@app.get("/declared/{size}")
def declared(size: int):
    # A wrong content-length on a large body is still the server's 500.
    return Response(b"d" * size, headers={"content-length": str(size + 1)})


produced = {"pieces": 0}


@app.get("/gigabyte")
async def gigabyte():
    """1 GiB from an async generator, in 1 MiB pieces, counted as it makes them."""
    piece = b"g" * (1 << 20)

    async def pieces():
        for _ in range(1024):
            produced["pieces"] += 1
            yield piece

    return StreamingResponse(pieces(), media_type="application/octet-stream")


@app.get("/produced")
def produced_so_far():
    return produced
