"""Process-level settings for the engine's bulk work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the duration (nested use is fine).

    Reading a national round file creates some 80 000 participant objects and writing the
    result as many again; each allocation burst makes the collector walk every live object,
    again and again, which costs more than the parsing itself. None of these objects form
    reference cycles, so nothing is kept longer than without the pause: ordinary reference
    counting frees them, and the collector resumes afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
