"""The ASGI lifespan protocol, run as uvicorn runs it (``--lifespan auto|on|off``).

``startup`` runs before the server announces its port; a failure raises, and the server exits
non-zero. In ``auto`` mode an app that raises before completing startup is taken not to speak
the protocol: one line is logged and the server goes on without it. The state the app puts in
``scope["state"]`` is shallow-copied into every request's scope."""
import asyncio
import sys
import traceback


class LifespanFailed(Exception):
    """Startup or shutdown failed; the message is the app's (``lifespan.*.failed``)."""


class Lifespan:
    def __init__(self, app, mode="auto", state=None):
        if mode not in ("auto", "on", "off"):
            raise ValueError(f"lifespan mode must be auto, on or off, not {mode!r}")
        self.app = app
        self.mode = mode
        self.state = {} if state is None else state
        self._messages = None
        self._started = None
        self._stopped = None
        self._task = None
        self._failure = None
        self._error = None
        self._unsupported = False

    async def startup(self):
        if self.mode == "off":
            return
        self._messages = asyncio.Queue()
        self._started = asyncio.Event()
        self._stopped = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._main())
        await self._messages.put({"type": "lifespan.startup"})
        await self._started.wait()
        if self._error is not None:
            raise self._error
        if self._failure is not None:
            raise LifespanFailed(self._failure or "Application startup failed.")

    async def shutdown(self):
        if self._task is None or self._unsupported or self._task.done():
            return
        await self._messages.put({"type": "lifespan.shutdown"})
        await self._stopped.wait()
        if self._error is not None:
            raise self._error
        if self._failure is not None:
            raise LifespanFailed(self._failure or "Application shutdown failed.")

    async def _main(self):
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": self.state}
        try:
            await self.app(scope, self._receive, self._send)
        except BaseException as error:  # noqa: BLE001 - reported by startup/shutdown
            if self.mode == "auto" and not self._started.is_set() and self._failure is None:
                self._unsupported = True
                sys.stderr.write("INFO:     ASGI 'lifespan' protocol appears unsupported.\n")
            else:
                self._error = error
        finally:
            self._started.set()
            self._stopped.set()

    async def _receive(self):
        return await self._messages.get()

    async def _send(self, message):
        kind = message["type"]
        if kind == "lifespan.startup.complete":
            self._started.set()
        elif kind == "lifespan.startup.failed":
            self._failure = message.get("message", "")
            self._started.set()
        elif kind == "lifespan.shutdown.complete":
            self._stopped.set()
        elif kind == "lifespan.shutdown.failed":
            self._failure = message.get("message", "")
            self._stopped.set()
        else:
            raise RuntimeError(f"Unexpected ASGI lifespan message {kind!r}")


def run_phase(lifespan, phase, done):
    """For the runtime, on its asyncio thread: runs ``lifespan.startup()`` or ``.shutdown()``
    as a task and calls ``done(None)`` or ``done(text)`` with the error, a traceback for an
    exception of the app's."""
    async def main():
        try:
            await getattr(lifespan, phase)()
        except LifespanFailed as failure:
            done(str(failure))
        except BaseException as error:  # noqa: BLE001
            done("".join(traceback.format_exception(error)).rstrip())
        else:
            done(None)

    asyncio.get_running_loop().create_task(main())
