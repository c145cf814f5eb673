"""Symbolic answer equivalence (math-verify) with a hard time limit, callable from any thread or process.

math-verify's own timeout relies on `signal.alarm`, which only works in the main thread, so TRL switches it off in
threads and a pathological answer (`10^{10^{10^{10}}}`) can hang a reward function forever. Here each comparison
runs in a long-lived worker subprocess (`_symbolic_worker`); the caller waits at most `timeout` seconds for the
verdict and otherwise kills the worker, counts the pair as not equal, and starts a replacement in the background.
Workers are plain subprocesses, so callers may themselves be daemonic multiprocessing workers; a pool of them
(one per concurrent caller, up to `max_workers`) serves several threads at once. After `fork`, a child builds its
own pool and never touches its parent's workers.

What it does not cover: the one-off start of a worker (importing sympy, about a second) is bounded separately by
`STARTUP_TIMEOUT_S`, not by `timeout`; a worker that fails to start makes comparisons return False with a logged
error. POSIX only (it waits on pipes with `select`).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

logger = logging.getLogger(__name__)
STARTUP_TIMEOUT_S = 60.0
MAX_FAILED_STARTS = 3
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
_WORKER_COMMAND = (
    f"import sys; sys.path.insert(0, {_PACKAGE_PARENT!r}); "
    "from gainrl.checkers._symbolic_worker import serve; serve()"
)


class _Worker:
    """One math-verify subprocess and its pipes."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WORKER_COMMAND], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, bufsize=1,
        )
        self.ready = False

    def ask(self, prediction: str, reference: str, timeout: float, options: dict) -> str | None:
        """The verdict line, or None when the worker is late or dead."""
        if not self.ready:
            self.ready = self._read_line(time.monotonic() + STARTUP_TIMEOUT_S) == "ready"
            if not self.ready:
                logger.error("gainrl.checkers: the math-verify worker did not start; comparison counted as unequal")
                return None
        try:
            self.process.stdin.write(json.dumps([prediction, reference, options]) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            return None
        return self._read_line(time.monotonic() + timeout)

    def _read_line(self, deadline: float) -> str | None:
        remaining = deadline - time.monotonic()
        readable, _, _ = select.select([self.process.stdout], [], [], max(remaining, 0.0))
        if not readable:
            return None
        line = self.process.stdout.readline()
        return line.strip() if line else None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class WorkerPool:
    """Idle workers handed to one caller at a time; a late or broken worker is replaced, never reused."""

    def __init__(self, max_workers: int) -> None:
        self.max_workers = max_workers
        self._idle: list[_Worker] = []
        self._started = 0
        self._failed_starts = 0
        self._condition = threading.Condition()

    def equal(self, prediction: str, reference: str, timeout: float, options: dict | None = None) -> bool:
        if self._failed_starts >= MAX_FAILED_STARTS:
            return False  # already logged: math-verify workers cannot start in this environment
        deadline = time.monotonic() + timeout
        worker = self._acquire(deadline)
        if worker is None:
            return False
        verdict = worker.ask(prediction, reference, max(deadline - time.monotonic(), 0.0), options or {})
        self._failed_starts += not worker.ready
        self._release(worker, healthy=verdict in ("0", "1", "E"))
        return verdict == "1"

    def _acquire(self, deadline: float) -> _Worker | None:
        with self._condition:
            while not self._idle and self._started >= self.max_workers:
                if not self._condition.wait(max(deadline - time.monotonic(), 0.0)):
                    return None
            if self._idle:
                return self._idle.pop()
            self._started += 1
        return _Worker()

    def _release(self, worker: _Worker, healthy: bool) -> None:
        if not healthy:
            worker.kill()
            worker = _Worker()  # start the replacement now, so the next caller does not wait for sympy's import
        with self._condition:
            self._idle.append(worker)
            self._condition.notify()

    def close(self) -> None:
        with self._condition:
            workers, self._idle, self._started = self._idle, [], 0
        for worker in workers:
            worker.kill()


_pool: WorkerPool | None = None
_pool_lock = threading.Lock()


def _shared_pool() -> WorkerPool:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = WorkerPool(max_workers=max(2, os.cpu_count() or 2))
        return _pool


def _forget_parent_pool() -> None:
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


def symbolic_equal(prediction: str, reference: str, timeout: float, options: dict | None = None) -> bool:
    """True when math-verify shows `prediction` equal to `reference` within `timeout` seconds; `options` are
    keyword arguments of math-verify's `verify` (`float_rounding`, `strict`, `allow_set_relation_comp`)."""
    return _shared_pool().equal(prediction, reference, timeout, options)


def close_workers() -> None:
    """Stop this process's math-verify workers (also done at exit)."""
    if _pool is not None:
        _pool.close()


atexit.register(close_workers)
os.register_at_fork(after_in_child=_forget_parent_pool)
