"""The child side of `gainrl.checkers.symbolic`: answers "are these two answers equal?" with math-verify.

Reads one JSON request per line on stdin (`[prediction, reference, verify_options]`, the options being keyword
arguments of math-verify's `verify`), writes `1`, `0` or `E` (math-verify raised) per line on stdout, after a
first `ready` line once its imports are done. It has no timeout of its own: the parent kills it when an answer is
late. It exits when stdin closes or when its parent dies, and caps its own address space so a runaway computation
fails with MemoryError instead of exhausting the machine.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time

ADDRESS_SPACE_BYTES = 4 << 30


def _exit_when_orphaned(parent_pid: int) -> None:
    while True:
        if os.getppid() != parent_pid:
            os._exit(0)
        time.sleep(0.5)


def _cap_memory() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_BYTES, ADDRESS_SPACE_BYTES))
    except (ImportError, ValueError, OSError):
        pass


def _verdict(prediction: str, reference: str, options: dict) -> str:
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    targets = [LatexExtractionConfig(), ExprExtractionConfig()]
    gold = parse(f"${reference}$", targets, parsing_timeout=None)
    answer = parse(f"${prediction}$", targets, parsing_timeout=None)
    return "1" if gold and answer and verify(gold, answer, timeout_seconds=None, **options) else "0"


def serve() -> None:
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), daemon=True).start()
    _cap_memory()
    logging.disable(logging.CRITICAL)  # math-verify warns that its own timeouts are off: we enforce ours
    reply = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    sys.stdout = sys.stderr  # nothing but verdicts may reach the parent's pipe
    import math_verify  # noqa: F401  (import before "ready", so the first request is not billed for it)

    reply.write("ready\n")
    for line in sys.stdin:
        try:
            prediction, reference, *options = json.loads(line)
            verdict = _verdict(prediction, reference, *(options or [{}]))
        except Exception:  # noqa: BLE001  (any failure of parsing or sympy means "not shown equal")
            verdict = "E"
        reply.write(verdict + "\n")


if __name__ == "__main__":
    serve()
