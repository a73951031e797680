"""The differential check (``APUS_DIFFERENTIAL=FILE``): every request a direct or injected plan
answers is answered a second time by FastAPI's own request handler for the route (a
``HandlerPlan``, on a copy of the request), and any difference in status, headers (but
``date``) or body is written to FILE, one JSON line per request, with the route.

The client gets the plan's answer, once FastAPI's has been made too (so that both run against
the same state: a test's patches, say); the reference's is only compared. Both run the endpoint,
so an endpoint with side effects (a counter, a list it appends to) runs twice and may differ for
that reason alone: this mode is for finding differences, not for serving."""
import json
import threading

from .. import _asyncio_host
from .._contract import REQUEST_PARTS_FIELDS, Abort, Body, Error, More, OuterBody, Read
from .handler_plan import HandlerPlan

_write_lock = threading.Lock()


class _Recording:
    """What one answer sent: the messages a plan hands the runtime, kept in order."""

    __slots__ = ("status", "headers", "body", "outcome", "done")

    def __init__(self):
        self.status = None
        self.headers = ()
        self.body = bytearray()
        self.outcome = None
        self.done = False

    def record(self, message):
        """Returns True when this message completes the answer (an error after it is still
        recorded)."""
        kind = type(message)
        if kind is Body or kind is OuterBody:
            self.status, self.headers = message.status, [tuple(pair) for pair in message.headers]
            self.body += bytes(message.body)
            return self._complete(not message.more)
        if kind is More:
            self.body += bytes(message.body)
            return self._complete(not message.more)
        if kind is Error:
            self.outcome = f"error: {type(message.exception).__name__}"
            # An answered error (the app's 500, held until the error is reported) is followed
            # by that answer: the answer is complete once it has come, not before (comparing
            # earlier would race the thread that sends it).
            return self._complete(not message.answered)
        if kind is Abort:
            self.outcome = f"abort: {message.reason}"
            return self._complete(True)
        return False

    def _complete(self, complete):
        first = complete and not self.done
        self.done = self.done or complete
        return first

    def summary(self):
        headers = [(bytes(n).decode("latin-1").lower(), bytes(v).decode("latin-1")) for n, v in self.headers]
        return {"status": self.status, "headers": [pair for pair in headers if pair[0] != "date"],
                "body": self.body.decode("utf-8", "replace"), "outcome": self.outcome}


def _resolve(waiter):
    if waiter is not None and not waiter.done():
        waiter.set_result(True)


class _Tap:
    """The plan's messages on their way to the runtime: recorded, and from the one that completes
    the answer on, held until FastAPI's own answer is in, so that the client (a test, say) goes on
    only once both have run against the same state."""

    __slots__ = ("native", "recording", "held", "lock")

    def __init__(self, native):
        self.native = native
        self.recording = _Recording()
        self.held = None
        self.lock = threading.Lock()

    def message(self, message, on_complete):
        with self.lock:
            if self.held is not None:
                self.recording.record(message)  # an error after the answer, say
                self.held.append(message)
                return None
            if self.recording.record(message):
                self.held = [message]
                on_complete()
                return None
        return self.native(message)

    def release(self):
        """Sends what was held, and anything that comes after it."""
        while True:
            with self.lock:
                held = self.held
                if not held:
                    self.held = None
                    return
                self.held = []
            for message in held:
                self.native(message)


class DifferentialPlan:
    """A plan whose answers are compared with FastAPI's own handler's."""

    def __init__(self, plan, runner, top_route, context, route_path, out):
        self.plan = plan
        self.kind = plan.kind
        self.runs_async = plan.runs_async
        self.reference = HandlerPlan(runner, top_route, context)
        self.route_path = route_path
        self.out = out

    def run(self, request_parts, body, native):
        copy = _copy_parts(request_parts)
        tap = _Tap(native)
        send = self._tapped(tap, copy, body)
        result = self.plan.run(request_parts, body, send)
        if type(result) is Body:  # the whole answer at once: held like any other
            send(result)
        return None

    def start(self, request_parts, body, native):
        copy = _copy_parts(request_parts)
        return self.plan.start(request_parts, body, self._tapped(_Tap(native), copy, body))

    def _tapped(self, tap, copy, body):
        def compare():
            # FastAPI's answer runs on the asyncio thread once the plan's is complete.
            _asyncio_host.loop().call_soon_threadsafe(
                lambda: _asyncio_host.start(self._compare(tap, copy, body)))
        return lambda message: tap.message(message, compare)

    async def _compare(self, tap, copy, body):
        """FastAPI's answer, to its very end (an error after the response included); then the
        comparison, and the plan's answer goes out."""
        reference = _Recording()

        def capture(message):
            kind = type(message)
            if kind in (Body, OuterBody, More) and message.more:
                _resolve(message.waiter)
            elif kind is Read:
                message.waiter.set_result(None)
            reference.record(message)

        try:
            cycle = self.reference.runner.new_cycle(copy, body, capture)
            await self.reference.serve(cycle, body)
            self._report(tap.recording, reference, copy)
        finally:
            tap.release()

    def _report(self, planned, reference, copy):
        mine, theirs = planned.summary(), reference.summary()
        if mine == theirs:
            return
        method, target = copy.method, copy.path
        query = bytes(copy.query_string).decode("latin-1")
        line = {"route": self.route_path, "request": f"{method} {target}{'?' + query if query else ''}",
                "plan": self.kind,
                "differences": {key: {"plan": mine[key], "fastapi": theirs[key]}
                                for key in mine if mine[key] != theirs[key]}}
        with _write_lock, open(self.out, "a") as file:
            file.write(json.dumps(line) + "\n")


def _copy_parts(request_parts):
    """The request's parts for a second answer: the header list is its own (a TestClient
    server's scope takes a header out of it)."""
    return type(request_parts)([list(value) if name == "headers" else value
                                for name, value in zip(REQUEST_PARTS_FIELDS, request_parts)])
