"""Python's cyclic garbage collector across a server's start-up (the runtime's ``PythonStartUp``
says why).

While the app is imported, its lifespan runs and its plans are compiled, the collector makes no
full collection: the third threshold is set out of reach, and the first two stay as they are,
so that the young garbage of importing is still freed as it is made and its memory reused. An
app calling ``gc.disable()`` keeps it disabled. Then start-up's garbage is collected once, what
remains is frozen, and the thresholds are put back (unless the app set its own)."""
import gc

# Full collections every this many collections of the middle generation: never, in practice.
_NO_FULL_COLLECTIONS = 1 << 30

_saved_threshold = None
_startup_threshold = None


def begin():
    """Before the app is imported."""
    global _saved_threshold, _startup_threshold
    _saved_threshold = gc.get_threshold()
    _startup_threshold = (*_saved_threshold[:2], _NO_FULL_COLLECTIONS)
    gc.set_threshold(*_startup_threshold)


def end():
    """Once start-up is over."""
    gc.collect()
    gc.freeze()
    if _saved_threshold is not None and gc.get_threshold() == _startup_threshold:
        gc.set_threshold(*_saved_threshold)
