"""The in-sandbox harness's pure parts: type-exact value encoding, its JSON text, and the seccomp program."""

import json
import math

import pytest

from gainrl.checkers._sandbox_harness import decode_value, encode_value, syscall_filter, to_json


def test_builtin_values_round_trip_exactly_through_json():
    values = [None, True, 0, -5, 10 ** 5000, 1.5, -0.0, math.inf, "é\n\"x\"", b"\x00\xff", 2 - 3j, [1, [2]], (1,),
              {1, "a"}, frozenset({2}), {(1, 2): {"k": [None]}, True: 1.0}, []]
    for value in values:
        decoded = decode_value(json.loads(to_json(encode_value(value))))
        assert decoded == value and type(decoded) is type(value)
    assert math.isnan(decode_value(json.loads(to_json(encode_value(math.nan)))))


def test_subclasses_and_other_objects_cannot_be_encoded():
    class Int(int):
        pass

    class Anything:
        def __eq__(self, other):
            return True

    for value in (Int(3), Anything(), [1, Anything()], {"k": range(3)}, (x for x in ())):
        with pytest.raises(TypeError):
            encode_value(value)


def test_malformed_reports_do_not_decode():
    for data in (3, 1.5, {"int": "1", "float": "0x1p0"}, {"tag": []}, {"dict": [[1]]}, {"int": "zz"}):
        with pytest.raises((ValueError, TypeError)):
            decode_value(data)


def test_seccomp_program_is_whole_instructions_and_blocks_exec_only_on_request():
    plain, strict = syscall_filter(block_exec=False), syscall_filter(block_exec=True)
    if plain is None:
        pytest.skip("no seccomp program for this architecture")
    assert len(plain) % 8 == 0 and len(strict) == len(plain) + 2 * 2 * 8


def test_bootstrap_compiles_the_source_when_the_bytecode_is_not_this_interpreters(tmp_path):
    import marshal
    import os
    import subprocess
    import sys

    from gainrl.checkers import _sandbox_harness

    job = {"mode": "script", "program": "print(input() * 2)", "limits": {"RLIMIT_CORE": 0},
           "harness_magic": b"none", "harness_code": b"", "harness_path": _sandbox_harness.__file__}
    (tmp_path / "job").write_bytes(marshal.dumps(job))
    results = os.memfd_create("results")
    try:
        completed = subprocess.run([sys.executable, "-I", "-B", "-c", _sandbox_harness.BOOTSTRAP, str(tmp_path / "job"),
                                    str(results)], input="ab", capture_output=True, text=True, cwd=tmp_path,
                                   pass_fds=(results,))
    finally:
        os.close(results)
    assert completed.stdout == "abab\n" and not (tmp_path / "job").exists() and (tmp_path / "main.py").exists()
