"""FastrAPI's equivalent of deps_app.py's GET /simple (one plain Depends), for bench/deps.py.

Served from the peers venv (see ../shared/bench/peers): `PORT=8000 python deps_fastrapi.py`.
fastrapi 0.2.11 exports Depends (fastrapi.params.Depends(dependency=None, *, use_cache=True)).
"""
import os

from fastrapi import Depends, FastrAPI

app = FastrAPI()


def common(q: str | None = None) -> dict:
    return {"q": q}


@app.get("/simple")
def simple(c: dict = Depends(common)) -> dict:
    return {"q": c["q"]}


if __name__ == "__main__":
    app.serve("127.0.0.1", int(os.environ.get("PORT", "8000")))
