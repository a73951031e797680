"""The runtime's native module (``_apus``): built into the ``apus`` binary, or the extension
library a Python process imports. What the runtime calls in this package, and with what, is in
``apus._contract``."""
from typing import Any, Callable, TypedDict

class ServeOptions(TypedDict, total=False):
    app: Any  # the ASGI app
    host: str
    port: int  # 0: any free port
    access_log: bool
    graceful_timeout: float  # seconds
    root_path: str
    testing: bool  # a TestClient's server: see apus._asgi_host.Server
    state: dict[str, Any] | None  # the lifespan state to share, or None
    on_exception: Callable[[BaseException], None] | None  # told of each exception the app raised
    plans: bool  # serve FastAPI apps with native plans

def serve(options: ServeOptions, /) -> tuple[int, Callable[[], None]]:
    """Serves the app on the process's hosted runtime; returns the bound port and a function
    that stops the server (waiting for requests in flight)."""

def version() -> str: ...
