"""A request answered from an executor thread, and its way back to the runtime.

The cycle (the scope the app's code sees, its ``receive`` and ``send``) and the ``Request`` are
made only when something needs them: a step that takes the ``Request``, parameters pydantic must
judge, an exception for the app's handlers, a response that is more than one plain body. The fast
lane answers most requests with the runtime's message alone. Like ``HTTPCycle``, an exchange of
a TestClient's server holds the end of its response until the request is over (background tasks
and cleanup included), so the test sees what the app did."""
import traceback

from starlette.background import BackgroundTask
from starlette.background import BackgroundTasks as StarletteBackgroundTasks
from starlette.requests import Request

from fastapi.background import BackgroundTasks

from .._contract import Body, Error
from . import support
from .runner import on_loop


class SyncExchange:
    __slots__ = ("plan", "parts", "body", "native", "hold", "cycle", "request", "sent", "held")

    def __init__(self, plan, parts, body, native):
        self.plan = plan
        self.parts = parts
        self.body = body
        self.native = native
        self.hold = plan.runner.server.testing
        self.cycle = None
        self.request = None
        self.sent = False
        self.held = None

    def make_request(self):
        """The ``Request`` as the route sees it (its scope filled as FastAPI's router fills it);
        None if the route does not match the request after all (the app then decides)."""
        if self.request is None and self.cycle is None:
            plan = self.plan
            cycle = self.cycle = plan.runner.new_cycle(self.parts, self.body, self.native)
            if plan.selection.fill(cycle.scope):
                request = Request(cycle.scope, cycle.receive, cycle.send)
                request._body = self.body
                cycle.body_taken()
                self.request = request
        return self.request

    @property
    def started(self):
        return self.sent or (self.cycle is not None and self.cycle.started)

    def send(self, answer):
        """Sends a runtime message (the fast lane's) or a ``Response``, then runs the response's
        background tasks on this thread (an async task on the loop, waited for)."""
        if answer is None:
            raise RuntimeError("the exception handler returned no response")
        if type(answer) is Body:
            if self.cycle is not None:
                self.cycle.respond(answer.status, answer.headers, answer.body)
            elif self.hold:
                self.held = answer
            else:
                self.native(answer)
            self.sent = True
            return
        if self.cycle is None:
            self.make_request()
        cycle = self.cycle
        if not support.is_plain_response(answer):
            on_loop(answer(cycle.scope, cycle.receive, cycle.send))
            return
        cycle.respond(answer.status_code, answer.raw_headers, answer.body)
        if answer.background is not None:
            run_background(answer.background)

    def answer_outside_middleware(self):
        if self.cycle is None:
            self.make_request()
        self.cycle.answer_outside_middleware()

    def report(self, error):
        """An error for the runtime's log (and the TestClient); unless the whole response was
        sent, the runtime answers 500 or closes the connection."""
        if self.cycle is not None:
            self.plan.runner.report(self.cycle, error)
            return
        self.native(Error(error, "".join(traceback.format_exception(error)), self.sent))
        if self.sent:
            self.release()

    def release(self):
        """Sends the held end of the response, if any."""
        if self.cycle is not None:
            self.cycle.release()
        elif self.held is not None:
            held, self.held = self.held, None
            self.native(held)

    def close(self):
        if self.cycle is not None:
            self.cycle.close()


# Task lists that only run their tasks in order (FastAPI's adds a telemetry span per task, a
# no-op here: an app with telemetry enabled gets no plans).
_PLAIN_TASK_LISTS = (StarletteBackgroundTasks.__call__, BackgroundTasks.__call__)


def run_background(background):
    """Starlette's background tasks, on this thread: sync tasks called here, async ones on the
    loop (waited for); a background object of another kind is awaited on the loop whole."""
    kind = type(background)
    if kind.__call__ is BackgroundTask.__call__:
        tasks = [background]
    elif kind.__call__ in _PLAIN_TASK_LISTS:
        tasks = background.tasks  # tasks added while running run too, as in Starlette
    else:
        on_loop(background())
        return
    for task in tasks:
        if type(task).__call__ is not BackgroundTask.__call__:
            on_loop(task())
        elif task.is_async:
            on_loop(task.func(*task.args, **task.kwargs))
        else:
            task.func(*task.args, **task.kwargs)
