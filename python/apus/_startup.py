"""Python's cyclic garbage collector across a server's start-up (the runtime's ``PythonStartUp``
says why).

Automatic collections are off while the app is imported, its lifespan runs and its plans are
compiled: a first threshold of 0, so that an app calling ``gc.disable()`` keeps it disabled.
Then start-up's garbage is collected once, what remains is frozen, and the thresholds are put
back (unless the app set its own)."""
import gc

_saved_threshold = None


def begin():
    """Before the app is imported."""
    global _saved_threshold
    _saved_threshold = gc.get_threshold()
    gc.set_threshold(0, *_saved_threshold[1:])


def end():
    """Once start-up is over."""
    gc.collect()
    gc.freeze()
    if _saved_threshold is not None and gc.get_threshold()[0] == 0:
        gc.set_threshold(*_saved_threshold)
