"""A `def` endpoint that blocks: each concurrent request wants an executor thread of its own;
and one that computes, which another thread could only take turns with for the GIL."""
import time

from fastapi import FastAPI

app = FastAPI()


@app.get("/sleep")
def sleep(seconds: float = 0.5):
    time.sleep(seconds)
    return {"slept": seconds}


@app.get("/compute")
def compute(seconds: float = 0.3):
    # Pure Python on a CPU: the thread keeps the GIL the whole time.
    end = time.perf_counter() + seconds
    spins = 0
    while time.perf_counter() < end:
        spins += 1
    return {"spins": spins}
