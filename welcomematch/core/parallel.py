"""Where work runs: in this process, or shared with one worker process.

An :class:`Executor` runs functions it is handed — it knows nothing of what they compute
(it imports nothing of the solver). Two uses, both with answers that never depend on where
the work ran:

* :meth:`Executor.map` runs a list of items, each taken by whoever is free — this process
  or the worker — in order (the parts of a large round);
* :meth:`Executor.submit` queues one item and returns a future; the worker takes queued
  items in order, :meth:`Executor.help` lets this process take the newest one when it has
  nothing else to do, and :meth:`Executor.result` falls back to running the item here if the
  worker died (the flows of a large part).

:data:`IN_PROCESS` runs everything here, at once. :class:`WorkerExecutor` starts one worker
process (:class:`welcomematch.core.worker.Worker`) on first need, or beforehand with
:meth:`~WorkerExecutor.start` so that its imports overlap the caller's own work; if the
process cannot start or dies, the work is done here instead.
"""

from __future__ import annotations

import importlib
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, Protocol, TypeVar, cast

from welcomematch.core.worker import Worker, WorkerGone

__all__ = ["IN_PROCESS", "Executor", "InProcess", "WorkerExecutor"]

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Runs functions on items, here or beside this process (see the module docstring).

    A function handed to an executor must be a module-level function (a worker process
    imports it by name) and must give the same answer wherever it runs.
    """

    @property
    def parallel(self) -> bool:
        """Whether work can run beside this process (a worker process is running)."""
        ...

    def start(self) -> bool:
        """Start the worker now if there is one to start; returns :attr:`parallel`."""
        ...

    def map(self, function: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``[function(item) for item in items]``, items shared between here and the worker."""
        ...

    def submit(self, function: Callable[[T], R], item: T) -> Future[R]:
        """``function(item)``, queued for the worker (or run here at once without one)."""
        ...

    def help(self) -> bool:
        """Run the newest queued item here; ``False`` if none is queued."""
        ...

    def result(self, future: Future[R]) -> R:
        """The answer of a submitted item; run here if the worker died before answering."""
        ...

    def close(self) -> None:
        """Stop the worker (queued items are cancelled)."""
        ...


class InProcess:
    """Everything runs in this process, at once, in order."""

    @property
    def parallel(self) -> bool:
        return False

    def start(self) -> bool:
        return False

    def map(self, function: Callable[[T], R], items: Sequence[T]) -> list[R]:
        return [function(item) for item in items]

    def submit(self, function: Callable[[T], R], item: T) -> Future[R]:
        future: Future[R] = Future()
        future.set_result(function(item))
        return future

    def help(self) -> bool:
        return False

    def result(self, future: Future[R]) -> R:
        return future.result()

    def close(self) -> None:
        pass


#: The executor that runs everything here.
IN_PROCESS = InProcess()


def _import_modules(names: Sequence[str]) -> bool:
    """Runs first in a new worker, so that its imports overlap the caller's work."""
    for name in names:
        importlib.import_module(name)
    return True


_Queued = tuple[Future[Any], Callable[[Any], Any] | None, Any]


class WorkerExecutor:
    """One worker process beside this one; this process takes work too when it is free.

    Parameters
    ----------
    preload
        Modules the worker imports as soon as it starts (those of the functions it will be
        handed), so that its start overlaps the caller's own work.
    """

    def __init__(self, preload: Sequence[str] = ()) -> None:
        self._preload = tuple(preload)
        self._worker: Worker | None = None
        self._started = False
        self._queue: deque[_Queued] = deque()
        self._items: dict[Future[Any], tuple[Callable[[Any], Any], Any]] = {}
        self._changed = threading.Condition()
        self._closed = False
        self._feeder: threading.Thread | None = None

    @property
    def parallel(self) -> bool:
        return self._feeder is not None

    def start(self) -> bool:
        if self._started:
            return self.parallel
        self._started = True
        try:
            self._worker = Worker()
        except WorkerGone:
            return False
        self._queue.append((Future(), _import_modules, self._preload))  # the warm-up
        self._feeder = threading.Thread(target=self._feed, name="worker-feeder", daemon=True)
        self._feeder.start()
        return True

    # -- items shared between this process and the worker ------------------------------

    def map(self, function: Callable[[T], R], items: Sequence[T]) -> list[R]:
        if len(items) < 2 or not self.start():
            return [function(item) for item in items]
        worker = cast(Worker, self._worker)
        answers: list[Any] = [None] * len(items)
        lock = threading.Lock()
        taken = [0]
        failed: list[int] = []
        errors: list[BaseException] = []

        def take() -> int | None:
            with lock:
                if taken[0] == len(items):
                    return None
                taken[0] += 1
                return taken[0] - 1

        def stop() -> None:
            with lock:
                taken[0] = len(items)

        def feed() -> None:
            while (index := take()) is not None:
                try:
                    answers[index] = worker.call(function, items[index])
                except WorkerGone:  # the rest is done here
                    failed.append(index)
                    return
                except BaseException as error:  # raised again in the caller's thread
                    errors.append(error)
                    stop()
                    return

        # This process takes the first item before the worker, which may still be starting.
        first = take()
        feeder = threading.Thread(target=feed, name="worker-map", daemon=True)
        feeder.start()
        try:
            index = first
            while index is not None:
                answers[index] = function(items[index])
                index = take()
        finally:
            stop()  # after an error here, the worker takes no further item
            feeder.join()
        if errors:
            raise errors[0]
        for index in failed:
            answers[index] = function(items[index])
        return cast(list[R], answers)

    # -- single items queued for the worker --------------------------------------------

    def submit(self, function: Callable[[T], R], item: T) -> Future[R]:
        future: Future[R] = Future()
        if self._feeder is None:
            future.set_result(function(item))
            return future
        with self._changed:
            self._items[future] = (function, item)
            self._queue.append((future, function, item))
            self._changed.notify()
        return future

    def help(self) -> bool:
        with self._changed:
            if not self._queue or self._queue[-1][0] not in self._items:
                return False  # nothing queued but the warm-up
            future, function, item = self._queue.pop()
        assert function is not None
        future.set_result(function(item))
        return True

    def result(self, future: Future[R]) -> R:
        try:
            return future.result()
        except WorkerGone:
            function, item = self._items[future]
            return cast(R, function(item))
        finally:
            with self._changed:
                self._items.pop(future, None)

    def _feed(self) -> None:
        worker = self._worker
        assert worker is not None
        while True:
            with self._changed:
                while not self._queue and not self._closed:
                    self._changed.wait()
                if self._closed:
                    return
                future, function, item = self._queue.popleft()
            try:
                answer = worker.call(cast(Callable[[Any], Any], function), item)
            except BaseException as error:  # handed to whoever waits for this answer
                future.set_exception(error)
            else:
                future.set_result(answer)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            for future, _, _ in self._queue:
                future.cancel()
            self._queue.clear()
            self._items.clear()
            self._changed.notify_all()
        if self._feeder is not None:
            self._feeder.join()
            self._feeder = None
        if self._worker is not None:
            self._worker.close()
            self._worker = None

    def __enter__(self) -> WorkerExecutor:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
