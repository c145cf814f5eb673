"""Tests for gainrl.run_log: warnings and library log records kept off the terminal and written to the run's log
file; numbers rounded for reading.

Run: python -m pytest tests/test_run_log.py -v
"""

import logging
import sys
import warnings

from gainrl.run_log import RunLog, rounded


def test_warnings_and_library_records_go_to_the_file_not_the_terminal(tmp_path, capsys):
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    library = logging.getLogger("transformers")
    library.addHandler(logging.StreamHandler(sys.stderr))  # as transformers configures itself on import
    try:
        log = RunLog.start()
        assert RunLog.active is log  # what the quickstart claims late-imported libraries' loggers for
        warnings.warn("a FutureWarning of some library", FutureWarning)
        library.warning("a library warning")
        assert log.write(tmp_path / "run" / "gainrl.log") == tmp_path / "run" / "gainrl.log"
        assert log.write(tmp_path / "other.log") is None  # nothing new: no file
    finally:
        logging.captureWarnings(False)
        root.handlers, root.level = saved
    text = (tmp_path / "run" / "gainrl.log").read_text()
    assert "a FutureWarning of some library" in text and "a library warning" in text
    assert "a library warning" not in capsys.readouterr().err and not (tmp_path / "other.log").exists()


def test_rounded():
    assert rounded(-0.7941986839111397) == -0.794 and rounded(512.04, 1) == 512.0
    assert rounded(None) is None and rounded(3) == 3


def test_trainer_steps_go_to_the_log_file_and_the_bar_stays(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from transformers.trainer_callback import CallbackHandler, PrinterCallback, ProgressCallback

    from gainrl.run_log import steps_to_log_file

    monkeypatch.delenv("GAINRL_VERBOSE", raising=False)
    handler = CallbackHandler([ProgressCallback()], None, None, None, None)
    trainer = SimpleNamespace(callback_handler=handler, remove_callback=handler.remove_callback,
                              add_callback=handler.add_callback)
    steps_to_log_file(trainer, tmp_path)
    [callback] = handler.callbacks
    assert isinstance(callback, ProgressCallback) and not isinstance(callback, PrinterCallback)
    callback.on_log(None, SimpleNamespace(is_world_process_zero=True, global_step=3), None, logs={"loss": 0.5})
    assert (tmp_path / "gainrl.log").read_text() == 'step 3: {"loss": 0.5}\n'
