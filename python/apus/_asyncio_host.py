"""The asyncio event loop the runtime owns for `async def` handlers.

The runtime runs each coroutine's first step itself, on this loop's thread ("eager"): a
handler that never suspends finishes without a trip through the loop. One that suspends is
handed to ``resume``, which wraps it in a Task that continues exactly where it stopped."""
import asyncio
import os
import types


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


@types.coroutine
def _continue(coro, pending):
    """Drives ``coro`` after its first step yielded ``pending`` (what an asyncio Task expects
    to see from its coroutine: a future to wait on, or None to yield once)."""
    while True:
        try:
            value = yield pending
        except BaseException as error:  # noqa: BLE001 - thrown into the coroutine, as Task does
            try:
                pending = coro.throw(error)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                pending = coro.send(value)
            except StopIteration as stop:
                return stop.value


def resume(coro, pending, done):
    """Continues a suspended coroutine as a Task; ``done(task)`` runs when it finishes."""
    task = asyncio.get_running_loop().create_task(_continue(coro, pending))
    task.add_done_callback(done)
    return task


def schedule(coro, done):
    """The non-eager way, kept to measure against: a Task from the first step."""
    task = asyncio.get_running_loop().create_task(coro)
    task.add_done_callback(done)
    return task
