"""A `def` endpoint that blocks: each concurrent request wants an executor thread of its own."""
import time

from fastapi import FastAPI

app = FastAPI()


@app.get("/sleep")
def sleep(seconds: float = 0.5):
    time.sleep(seconds)
    return {"slept": seconds}
