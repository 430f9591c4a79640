"""A worker process that runs functions on request, beside the caller's own work.

OR-Tools holds the interpreter lock while it solves, so a thread cannot overlap its solves
with NumPy work; a second process can. :class:`Worker` starts
``python -m welcomematch.core.worker`` as a plain child process (not ``multiprocessing``:
that would re-import the caller's main script, which a researcher's script may not guard) and
talks to it over its standard input and output with length-prefixed pickles, one request at a
time. The child only ever receives frames from the process that started it.

The caller decides what a request is: :meth:`Worker.call` sends ``(function, argument)``
where ``function`` is a module-level function the child can import; the child sends back the
return value, or the exception it raised.
"""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from welcomematch.core.runtime import paused_gc

__all__ = ["Worker", "WorkerGone", "serve"]

_HEADER = struct.Struct("<Q")


class WorkerGone(Exception):
    """The worker process could not be started, or exited before it answered."""


def _write_frame(stream: IO[bytes], payload: bytes) -> None:
    stream.write(_HEADER.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def _read_exact(stream: IO[bytes], size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _read_frame(stream: IO[bytes]) -> bytes:
    (size,) = _HEADER.unpack(_read_exact(stream, _HEADER.size))
    return _read_exact(stream, size)


class Worker:
    """One child process that runs functions on request, one at a time, in order."""

    def __init__(self) -> None:
        # Inside an embedding server (uWSGI, mod_wsgi) ``sys.executable`` is the server, not
        # an interpreter that understands ``-m``; then there is no worker.
        executable = Path(sys.executable or "")
        if not executable.name.lower().startswith("python") or not executable.is_file():
            raise WorkerGone(f"no Python interpreter to start: {sys.executable!r}")
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (package_root, env.get("PYTHONPATH", "")) if p
        )
        try:
            self._process: subprocess.Popen[bytes] | None = subprocess.Popen(
                [sys.executable, "-m", "welcomematch.core.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
            )
        except OSError as error:
            raise WorkerGone(str(error)) from error
        self._lock = threading.Lock()

    def call(self, function: Callable[[Any], Any], argument: Any) -> Any:
        """``function(argument)`` computed in the worker; blocks (without the GIL) meanwhile.

        Raises
        ------
        WorkerGone
            If the worker is not running or exits before answering.
        """
        with self._lock:
            process = self._process
            if process is None or process.stdin is None or process.stdout is None:
                raise WorkerGone("the worker process is closed")
            try:
                _write_frame(process.stdin, pickle.dumps((function, argument), protocol=5))
                ok, value = pickle.loads(_read_frame(process.stdout))
            except (OSError, EOFError, pickle.UnpicklingError) as error:
                self._stop(process)
                raise WorkerGone(f"the worker process stopped: {error!r}") from error
        if not ok:
            raise value
        return value

    def close(self) -> None:
        """Ask the worker to exit (end of input) and wait for it."""
        with self._lock:
            if self._process is not None:
                self._stop(self._process)

    def _stop(self, process: subprocess.Popen[bytes]) -> None:
        self._process = None
        try:
            if process.stdin is not None:
                process.stdin.close()
            process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        finally:
            if process.stdout is not None:
                process.stdout.close()


def serve(requests: IO[bytes], answers: IO[bytes]) -> None:
    """Answer frames from ``requests`` on ``answers`` until the input ends."""
    while True:
        try:
            payload = _read_frame(requests)
        except EOFError:
            return
        with paused_gc():  # a request is a bulk of acyclic objects (see paused_gc)
            function, argument = pickle.loads(payload)
            try:
                reply = (True, function(argument))
            except Exception as error:  # sent back and raised in the caller
                reply = (False, error)
            frame = pickle.dumps(reply, protocol=5)
        del function, argument, reply
        _write_frame(answers, frame)


def main() -> None:
    # Frames go over a private copy of standard output; anything a library prints to
    # standard output is sent to standard error instead, so it cannot corrupt a frame.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    serve(sys.stdin.buffer, answers)


if __name__ == "__main__":
    main()
