"""The differential check (``APUS_DIFFERENTIAL=FILE``): every request a direct or injected plan
answers is answered a second time by FastAPI's own request handler for the route (a
``HandlerPlan``, on a copy of the request), and any difference in status, headers (but
``date``) or body is written to FILE, one JSON line per request, with the route.

The client gets the plan's answer; the reference's is only compared. Both run the endpoint, so an
endpoint with side effects (a counter, a list it appends to) runs twice and may differ for that
reason alone: this mode is for finding differences, not for serving."""
import json
import os
import threading

from .. import _asyncio_host
from .handler_plan import HandlerPlan

_ENVIRONMENT = "APUS_DIFFERENTIAL"
_write_lock = threading.Lock()


def path():
    """Where differences go, or None when the check is off."""
    return os.environ.get(_ENVIRONMENT) or None


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
        kind = message[0]
        if kind in ("body", "outer-body"):
            self.status, self.headers = message[1], [tuple(pair) for pair in message[2]]
            self.body += bytes(message[3])
            return self._complete(not message[4])
        if kind == "more":
            self.body += bytes(message[1])
            return self._complete(not message[2])
        if kind == "error":
            self.outcome = f"error: {type(message[1]).__name__}"
            return self._complete(True)
        if kind == "abort":
            self.outcome = f"abort: {message[1]}"
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
        recording = _Recording()
        result = self.plan.run(request_parts, body, self._tap(native, recording, copy, body))
        if isinstance(result, tuple):
            if recording.record(result):
                self._compare_later(recording, copy, body)
        return result

    def start(self, request_parts, body, native):
        copy = _copy_parts(request_parts)
        recording = _Recording()
        return self.plan.start(request_parts, body, self._tap(native, recording, copy, body))

    def _tap(self, native, recording, copy, body):
        def tapped(message):
            if recording.record(message):
                self._compare_later(recording, copy, body)
            return native(message)
        return tapped

    def _compare_later(self, recording, copy, body):
        """The reference answers once the plan has answered, on the asyncio thread."""
        _asyncio_host.loop().call_soon_threadsafe(self._reference, recording, copy, body)

    def _reference(self, recording, copy, body):
        _asyncio_host.start(self._run_reference(recording, copy, body))

    async def _run_reference(self, recording, copy, body):
        """FastAPI's answer, to its very end (an error after the response included), then the
        comparison."""
        reference = _Recording()

        def capture(message):
            kind = message[0]
            if kind in ("body", "outer-body") and message[4]:
                _resolve(message[5])
            elif kind == "more" and message[2]:
                _resolve(message[3])
            elif kind == "read":
                message[1].set_result(None)
            reference.record(message)

        cycle = self.reference.runner.new_cycle(copy, body, capture)
        await self.reference.serve(cycle, body)
        self._report(recording, reference, copy)

    def _report(self, planned, reference, copy):
        mine, theirs = planned.summary(), reference.summary()
        if mine == theirs:
            return
        method, target = copy[0], copy[2]
        query = bytes(copy[4]).decode("latin-1")
        line = {"route": self.route_path, "request": f"{method} {target}{'?' + query if query else ''}",
                "plan": self.kind,
                "differences": {key: {"plan": mine[key], "fastapi": theirs[key]}
                                for key in mine if mine[key] != theirs[key]}}
        with _write_lock, open(self.out, "a") as file:
            file.write(json.dumps(line) + "\n")


def _copy_parts(request_parts):
    """The request's parts for a second answer: the header list is its own (a TestClient
    server's scope takes a header out of it)."""
    copy = list(request_parts)
    copy[5] = list(request_parts[5])
    return tuple(copy)
