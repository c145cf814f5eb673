"""Third-party chatter off the terminal: Python warnings and the log records of transformers, datasets,
huggingface_hub, lm-eval, TRL and accelerate are kept while a command runs and written to a log file in its run
folder when it ends (successfully, interrupted or crashed), so that the terminal shows gainrl's own lines.

    log = RunLog.start()          # before the libraries warn (the command line does it unless --verbose)
    ...
    path = log.write(folder / "gainrl.log")   # None when nothing was recorded

After an expected user error nothing is written (the command wrote nothing either).
`RunLog.active` is the run log of this process (None with `--verbose`); a command that imports libraries late (the
quickstart) calls its `claim_library_loggers()` after those imports.

`rounded` gives numbers as a person reads them, for the lines a command prints. `RunLog.start` also turns off
the loading and conversion progress bars of huggingface_hub, transformers and datasets; gainrl's own bars, lm-eval's
and the trainer's stay.

`steps_to_log_file` does the same for a trainer's per-step dictionaries (its progress bar stays).

gainrl's own notes and warnings go through `logging` (`logger = gainrl_logger(__name__)`): on the terminal as
`note: ...` / `warning: ...` lines, each message once per process, and only from the main process of an
`accelerate launch` (so N processes do not repeat it N times).

What it does not cover: what libraries `print` directly.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections import deque
from pathlib import Path

LIBRARY_LOGGERS = ("transformers", "datasets", "huggingface_hub", "lm_eval", "lm-eval", "trl", "accelerate",
                   "torch", "httpx", "absl", "evaluate", "peft")
MAX_RECORDS = 20_000  # the newest are kept
VERBOSE_ENV = "GAINRL_VERBOSE"  # set by `--verbose`: everything stays on the terminal
# Loading and conversion bars of huggingface_hub / transformers and datasets (gainrl's and lm-eval's own stay).
PROGRESS_BAR_SWITCHES = ("HF_HUB_DISABLE_PROGRESS_BARS", "HF_DATASETS_DISABLE_PROGRESS_BARS")


def is_main_process() -> bool:
    """Rank 0 of a distributed launch (`accelerate launch`, `torchrun`), or a plain process."""
    return os.environ.get("RANK", "0") == "0" and os.environ.get("LOCAL_RANK", "0") == "0"


class _OncePerProcess(logging.Filter):
    def __init__(self):
        super().__init__()
        self.seen: set[tuple[int, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.levelno, record.getMessage())
        if key in self.seen or not is_main_process():
            return False
        self.seen.add(key)
        return True


class _Terminal(logging.Handler):
    """`note: ...` / `warning: ...` on the current stdout (looked up per record, so redirections apply)."""

    def emit(self, record: logging.LogRecord) -> None:
        kind = "warning" if record.levelno >= logging.WARNING else "note"
        print(f"{kind}: {record.getMessage()}", file=sys.stdout, flush=True)


def gainrl_logger(name: str) -> logging.Logger:
    """The logger of a gainrl module (`gainrl...`): records reach the terminal once, from the main process; they
    also propagate (to the run log file, and to pytest's caplog)."""
    package = logging.getLogger("gainrl")
    if not any(isinstance(handler, _Terminal) for handler in package.handlers):
        terminal = _Terminal(logging.INFO)
        terminal.addFilter(_OncePerProcess())
        package.addHandler(terminal)
        package.setLevel(logging.INFO)
    return logging.getLogger(name)


class _Keeper(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: deque[str] = deque(maxlen=MAX_RECORDS)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class RunLog:
    """Keeps warnings and library log records from now on; `write` puts them in a file."""

    active: "RunLog | None" = None  # the one `start` made in this process (None with --verbose)

    def __init__(self, keeper: _Keeper):
        self.keeper = keeper

    @classmethod
    def start(cls) -> "RunLog":
        keeper = _Keeper()
        for variable in PROGRESS_BAR_SWITCHES:  # read when the libraries are imported, so set first
            os.environ.setdefault(variable, "1")
        logging.captureWarnings(True)
        root = logging.getLogger()
        root.handlers, root.level = [keeper], logging.INFO
        run_log = cls(keeper)
        run_log.claim_library_loggers()
        RunLog.active = run_log
        return run_log

    def claim_library_loggers(self) -> None:
        """Route libraries that configured their own terminal handler (on import) to the kept records; call again
        after importing more libraries."""
        for name in LIBRARY_LOGGERS:
            logger = logging.getLogger(name)
            logger.handlers = [h for h in logger.handlers if not _is_terminal(h)]
            logger.propagate = True

    @property
    def lines(self) -> list[str]:
        return list(self.keeper.lines)

    def write(self, path: Path) -> Path | None:
        """Append the kept records to `path` (creating its folder); None when there were none."""
        if not self.keeper.lines:
            return None
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("\n".join(self.keeper.lines) + "\n")
        self.keeper.lines.clear()
        return path


def rounded(value, digits: int = 3):
    """A number as a person reads it (`-0.7941986839111397` -> `-0.794`); other values unchanged."""
    return round(value, digits) if isinstance(value, float) else value


def _is_terminal(handler: logging.Handler) -> bool:
    stream = getattr(handler, "stream", None)
    return isinstance(handler, logging.StreamHandler) and stream in (sys.stderr, sys.stdout, sys.__stderr__,
                                                                      sys.__stdout__)


def steps_to_log_file(trainer, folder: str | Path) -> None:
    """Write the trainer's per-step dictionaries to `<folder>/gainrl.log` (JSON, one line per step) instead of the
    terminal; the progress bar, if any, stays. With `--verbose` (GAINRL_VERBOSE=1) nothing changes."""
    if os.environ.get(VERBOSE_ENV) == "1":
        return
    from transformers.trainer_callback import PrinterCallback, ProgressCallback, TrainerCallback

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and logs:
            path = Path(folder, "gainrl.log")
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(f"step {state.global_step}: {json.dumps(logs, default=str)}\n")

    had_bar = any(isinstance(callback, ProgressCallback) for callback in trainer.callback_handler.callbacks)
    trainer.remove_callback(ProgressCallback)
    trainer.remove_callback(PrinterCallback)
    base = ProgressCallback if had_bar else TrainerCallback
    trainer.add_callback(type("StepsToLogFile", (base,), {"on_log": on_log})())
