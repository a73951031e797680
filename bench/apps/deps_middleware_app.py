"""deps_app.py behind one `@app.middleware("http")` that adds a timing header: the middleware
almost every real app has, which runs every route inside the app's own Starlette stack."""
import time

from deps_app import app


@app.middleware("http")
async def add_process_time(request, call_next):
    started = time.perf_counter()
    response = await call_next(request)
    response.headers["x-process-time"] = f"{time.perf_counter() - started:.6f}"
    return response
