"""The asyncio event loop the runtime owns for `async def` handlers.

Each handler's coroutine runs in a Task whose first step runs at once, on this loop's thread,
instead of one loop iteration later (Python 3.12's eager tasks, done here for 3.11): a handler
that never suspends finishes without a trip through the loop's scheduler, and every handler
still runs inside a real Task, so ``asyncio.current_task()``, timeouts, anyio and httpx work."""
import asyncio
import os
import selectors
import threading


def run(wakeup_fd, drain, poll=None):
    """Runs the loop on the calling thread until ``stop`` is called. ``drain(None)`` runs the
    requests the runtime queued; the runtime writes to ``wakeup_fd`` (an eventfd) to wake us.
    ``poll``: the runtime's timed wait for events (with the metrics, see ``_TimedSelector``)."""
    global _loop
    loop = _loop = asyncio.new_event_loop() if poll is None else asyncio.SelectorEventLoop(_TimedSelector(poll))
    asyncio.set_event_loop(loop)
    _running.set()

    def on_wakeup():
        try:
            os.read(wakeup_fd, 8)
        except BlockingIOError:
            pass
        drain(None)

    loop.add_reader(wakeup_fd, on_wakeup)
    try:
        loop.run_forever()
    finally:
        loop.remove_reader(wakeup_fd)
        loop.close()


class _TimedSelector(selectors.EpollSelector):
    """Python's epoll selector, whose waits go through the runtime's ``poll``: it lets the GIL
    go around ``epoll_wait`` itself, and counts how long this thread held the GIL between waits
    and waited to take it back after each (the metrics' ``apus_asyncio_gil_*``)."""

    def __init__(self, poll):
        super().__init__()
        self._selector = _TimedEpoll(self._selector, poll)


class _TimedEpoll:
    """``select.epoll`` with ``poll`` the runtime's; the rest is the epoll object's own."""

    __slots__ = ("_epoll", "_poll", "register", "modify", "unregister", "close", "fileno")

    def __init__(self, epoll, poll):
        self._epoll = epoll
        self._poll = poll
        self.register, self.modify, self.unregister = epoll.register, epoll.modify, epoll.unregister
        self.close, self.fileno = epoll.close, epoll.fileno

    def poll(self, timeout=-1, maxevents=-1):
        return self._poll((self._epoll.fileno(), -1.0 if timeout is None else float(timeout), maxevents))


_get_running_loop = asyncio.get_running_loop
_loop = None
_running = threading.Event()


def loop():
    """The runtime's loop (None before it runs)."""
    return _loop


def running_loop(timeout=10.0):
    """The runtime's loop, waiting for its thread to start it; for other threads of a process
    hosting the runtime (the TestClient runs lifespan on it)."""
    if not _running.wait(timeout):
        raise RuntimeError("the Apus asyncio loop did not start")
    return _loop


def _run_now(callback, *args, context=None):
    """Stands in for ``loop.call_soon`` once, while a Task is created: the Task's first step
    runs now. Scheduling is back to normal before that step runs."""
    del _get_running_loop().call_soon
    if context is None:
        callback(*args)
    else:
        context.run(callback, *args)


def start(coro):
    """Runs ``coro``'s first step inside a new Task, now; returns the Task (done if the
    coroutine finished in that step). The Task is the C implementation: its constructor asks
    the loop to schedule the first step, and the loop's ``call_soon`` is briefly ours."""
    loop = _get_running_loop()
    loop.call_soon = _run_now
    try:
        return asyncio.Task(coro, loop=loop)
    finally:
        loop.__dict__.pop("call_soon", None)


def schedule(coro):
    """The non-eager way, kept to measure against (APUS_ASYNC_EAGER=0): a plain Task whose
    first step runs on the next loop iteration."""
    return asyncio.get_running_loop().create_task(coro)
