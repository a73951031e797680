"""The asyncio event loop the runtime owns for `async def` handlers.

Each handler's coroutine runs in a Task whose first step runs at once, on this loop's thread,
instead of one loop iteration later (Python 3.12's eager tasks, done here for 3.11): a handler
that never suspends finishes without a trip through the loop's scheduler, and every handler
still runs inside a real Task, so ``asyncio.current_task()``, timeouts, anyio and httpx work."""
import asyncio
import contextvars
import os
from asyncio import tasks


def run(wakeup_fd, drain):
    """Runs the loop on the calling thread until ``stop`` is called. ``drain(None)`` runs the
    requests the runtime queued; the runtime writes to ``wakeup_fd`` (an eventfd) to wake us."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

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


class _EagerTask(tasks._PyTask):
    """A Task that is not scheduled at creation; ``start`` runs its first step right away."""

    def __init__(self, coro, loop):
        asyncio.futures._PyFuture.__init__(self, loop=loop)
        self._name = "apus-handler"
        self._num_cancels_requested = 0
        self._must_cancel = False
        self._fut_waiter = None
        self._coro = coro
        self._context = contextvars.copy_context()
        tasks._register_task(self)

    def start(self):
        self._context.run(self._Task__step)
        return self


def start(coro):
    """Runs ``coro``'s first step inside a new Task; returns the Task (done if it finished)."""
    return _EagerTask(coro, asyncio.get_running_loop()).start()


def schedule(coro):
    """The non-eager way, kept to measure against (APUS_ASYNC_EAGER=0): a plain Task whose
    first step runs on the next loop iteration."""
    return asyncio.get_running_loop().create_task(coro)
