"""The in-sandbox half of `gainrl.checkers.check_code`: runs one untrusted program inside the sandbox's process.

Started as `python -I -B -c BOOTSTRAP JOB_FILE RESULT_FD [UID]` (standard library only, and only modules that load
fast: it does not import gainrl, json or traceback). BOOTSTRAP reads the job (a `marshal`led dict written by the
caller, carrying this module's compiled code), this module deletes the job file, switches to UID, group UID and no
supplementary groups when started as root with one (that drops every capability), sets the job's rlimits on itself,
writes the program to `main.py` in its working directory, installs a seccomp filter (see `syscall_filter`), then
runs the program as the `__main__` module and, by `mode`:

  script  nothing more: the caller compares stdout (stdin/stdout cases; expected output never enters the sandbox);
  calls   calls `fn_name(*arguments)` for each entry of `inputs`, reporting each return value (`encode_value`);
  tests   runs the test code in a copy of the program's namespace with the builtins as they were before the
          program ran, reporting the values of the asserts the caller split out (`__gainrl_record__(index,
          value)`), and the job's secret once the test code finished without an exception.

Reports are JSON lines on RESULT_FD: {"record": i, "value": ...} or {"record": i, "unreportable": type name},
then {"done": secret}. A value is reported only if it is built from None, bool, int, float, complex, str, bytes,
list, tuple, set, frozenset and dict exactly (no subclasses), so an object with a forged `__eq__` cannot pass.
What it does not do: decide anything. Every verdict is made by the caller. Code running in this process can write
any report it likes: reported values are judged against expected values that never enter the sandbox, and the
completion report (the secret) is forgeable by a program that finds the secret in its memory, as `sandbox` says.
"""

from __future__ import annotations

import _ctypes
import _json
import atexit
import builtins
import os
import resource
import struct
import sys

RECORD_NAME = "__gainrl_record__"
_SECCOMP_RET_ALLOW, _SECCOMP_RET_KILL, _SECCOMP_RET_ERRNO = 0x7FFF0000, 0x80000000, 0x00050000
_EPERM, _ENOSYS, _AF_UNIX = 1, 38, 1
_NAMESPACE_FLAGS = 0x7E020080  # CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME
# audit architecture and system call numbers (execve, execveat, socket, unshare, setns, clone, clone3)
_ARCHES = {"x86_64": (0xC000003E, 59, 322, 41, 272, 308, 56, 435),
           "aarch64": (0xC00000B7, 221, 281, 198, 97, 268, 220, 435)}
_IO_URING = (425, 426, 427)


def encode_value(value):
    """A JSON-ready, type-exact form of `value`; TypeError for anything outside the builtin value types."""
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return {"int": format(value, "x")}
    if kind is float:
        return {"float": value.hex()}
    if kind is complex:
        return {"complex": [value.real.hex(), value.imag.hex()]}
    if kind is bytes:
        return {"bytes": value.hex()}
    if kind is list:
        return [encode_value(item) for item in value]
    if kind in (tuple, set, frozenset):
        return {kind.__name__: [encode_value(item) for item in value]}
    if kind is dict:
        return {"dict": [[encode_value(key), encode_value(item)] for key, item in value.items()]}
    raise TypeError(f"a value of type {kind.__module__}.{kind.__qualname__} cannot be reported")


def decode_value(data):
    """The inverse of `encode_value` (used by the caller); ValueError on anything `encode_value` cannot produce."""
    if data is None or type(data) in (bool, str):
        return data
    if type(data) is list:
        return [decode_value(item) for item in data]
    if type(data) is not dict or len(data) != 1:
        raise ValueError(f"not an encoded value: {data!r:.100}")
    (tag, body), = data.items()
    scalars = {"int": lambda text: int(text, 16), "float": float.fromhex, "bytes": bytes.fromhex,
               "complex": lambda parts: complex(float.fromhex(parts[0]), float.fromhex(parts[1]))}
    if tag in scalars:
        return scalars[tag](body)
    containers = {"tuple": tuple, "set": set, "frozenset": frozenset}
    if tag in containers:
        return containers[tag](decode_value(item) for item in body)
    if tag == "dict":
        return {decode_value(key): decode_value(item) for key, item in body}
    raise ValueError(f"unknown value tag {tag!r:.40}")


def syscall_filter(block_exec: bool) -> bytes | None:
    """A classic-BPF seccomp program, or None on an architecture it does not know.

    Refused with EPERM: creating AF_UNIX sockets (socketpair stays allowed), io_uring (it can create sockets
    past the filter), unshare, setns and clone with a namespace flag; and with `block_exec`, execve and execveat.
    clone3 gets ENOSYS (its flags are behind a pointer; the C library falls back to clone). System calls of
    another architecture (x32, i386) kill the process.
    """
    numbers = _ARCHES.get(os.uname().machine)
    if numbers is None:
        return None
    arch, execve, execveat, socket, unshare, setns, clone, clone3 = numbers
    deny = [unshare, setns, *_IO_URING] + ([execve, execveat] if block_exec else [])
    program = [(0x20, 0, 0, 4), (0x15, 1, 0, arch), (0x06, 0, 0, _SECCOMP_RET_KILL), (0x20, 0, 0, 0)]
    if arch == 0xC000003E:
        program += [(0x35, 0, 1, 0x40000000), (0x06, 0, 0, _SECCOMP_RET_KILL)]
    for number in deny:
        program += [(0x15, 0, 1, number), (0x06, 0, 0, _SECCOMP_RET_ERRNO | _EPERM)]
    program += [(0x15, 0, 1, clone3), (0x06, 0, 0, _SECCOMP_RET_ERRNO | _ENOSYS)]
    for number, argument_check in ((socket, (0x15, 0, 1, _AF_UNIX)), (clone, (0x45, 0, 1, _NAMESPACE_FLAGS))):
        program += [(0x15, 0, 4, number), (0x20, 0, 0, 16), argument_check,
                    (0x06, 0, 0, _SECCOMP_RET_ERRNO | _EPERM), (0x06, 0, 0, _SECCOMP_RET_ALLOW)]
    program.append((0x06, 0, 0, _SECCOMP_RET_ALLOW))
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in program)


class _ULong(_ctypes._SimpleCData):
    _type_ = "L"


class _Int(_ctypes._SimpleCData):
    _type_ = "i"


class _Char(_ctypes._SimpleCData):
    _type_ = "c"


class _LibcFunction(_ctypes.CFuncPtr):  # `ctypes` itself costs ~15 ms to import (it builds an FFI closure)
    _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
    _restype_ = _Int


class _Libc:
    _handle = _ctypes.dlopen(None, os.RTLD_NOW)


def install_filter(block_exec: bool) -> None:
    """Set no_new_privs and load `syscall_filter`; exits with status 125 where that is impossible."""
    program = syscall_filter(block_exec)
    if program is None:
        _fail_setup(f"no seccomp filter for architecture {os.uname().machine!r}")
    prctl = _LibcFunction(("prctl", _Libc))
    buffer = type("_Filter", (_ctypes.Array,), {"_type_": _Char, "_length_": len(program)}).from_buffer_copy(program)
    fprog = struct.pack("HxxxxxxP" if struct.calcsize("P") == 8 else "HxxP", len(program) // 8,
                        _ctypes.addressof(buffer))
    zero = _ULong(0)
    if prctl(38, _ULong(1), zero, zero, zero) != 0 or prctl(22, _ULong(2), fprog, zero, zero) != 0:
        _fail_setup(f"cannot install the seccomp filter: {os.strerror(_ctypes.get_errno())}")


def _fail_setup(message: str) -> None:
    sys.stderr.write(f"gainrl sandbox harness: {message}\n")
    sys.stderr.flush()
    os._exit(125)


def to_json(data) -> str:
    """JSON text of `encode_value` output or a report (dicts with string keys, lists, str, bool, None)."""
    if data is None or type(data) is bool:
        return {None: "null", True: "true", False: "false"}[data]
    if type(data) is str:
        return _json.encode_basestring_ascii(data)
    if type(data) is int:
        return str(data)
    if type(data) is list:
        return "[" + ",".join(to_json(item) for item in data) + "]"
    return "{" + ",".join(f"{to_json(key)}:{to_json(item)}" for key, item in data.items()) + "}"


class _Reporter:
    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor

    def write(self, message: dict) -> None:
        data = (to_json(message) + "\n").encode()
        while data:
            data = data[os.write(self.descriptor, data):]

    def record(self, index: int, value) -> None:
        try:
            self.write({"record": index, "value": encode_value(value)})
        except (TypeError, ValueError, RecursionError):
            self.write({"record": index, "unreportable": f"{type(value).__module__}.{type(value).__qualname__}"})


def _flush_and_exit(code: int) -> None:
    for stream in {sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__}:
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a replaced or closed stream must not change the exit status
            pass
    os._exit(code)


def _exit_status(stop: SystemExit) -> int:
    if stop.code is None or stop.code == 0:
        return 0
    return stop.code if type(stop.code) is int else 1


def _run_guarded(step) -> None:
    """Run `step`; any exception ends the process here (no excepthook, no atexit handler of the program)."""
    try:
        step()
    except SystemExit as stop:
        _flush_and_exit(_exit_status(stop))
    except BaseException as error:  # noqa: BLE001 - everything the program raises is its failure
        sys.__excepthook__(type(error), error, error.__traceback__)
        _flush_and_exit(1)


def _main_module(program: str):
    with open("main.py", "w", encoding="utf-8") as handle:
        handle.write(program)
    module = type(sys)("__main__")
    module.__file__ = "main.py"
    module.__builtins__ = builtins
    sys.modules["__main__"] = module
    sys.argv = ["main.py"]
    return module


def main(job: dict, result_descriptor: int) -> None:
    _set_limits(job["limits"])
    os.set_inheritable(result_descriptor, False)
    reporter = _Reporter(result_descriptor)
    module = _main_module(job["program"])
    pristine_builtins = dict(builtins.__dict__)
    secret = job.pop("secret", "")
    install_filter(block_exec=job["mode"] == "tests")
    code = compile(job["program"], "main.py", "exec")
    if job["mode"] == "script":
        _run_as_script(code, module)
    _run_guarded(lambda: exec(code, module.__dict__))  # noqa: S102
    if job["mode"] == "calls":
        _run_guarded(lambda: _call_each(module.__dict__, job["fn_name"], job["inputs"], reporter))
    else:
        namespace = {**module.__dict__, "__builtins__": pristine_builtins, RECORD_NAME: reporter.record}
        tests = compile(job["tests"], "tests.py", "exec")
        _run_guarded(lambda: exec(tests, namespace))  # noqa: S102
    reporter.write({"done": secret})
    _flush_and_exit(0)


def _run_as_script(code, module) -> None:
    """Run like `python main.py`, but skip the interpreter's teardown (about 7 ms) once the program has ended."""
    try:
        exec(code, module.__dict__)  # noqa: S102
    except SystemExit as stop:
        if stop.code is not None and type(stop.code) is not int:
            print(stop.code, file=sys.stderr)
        status = _exit_status(stop)
    else:
        status = 0
    if "threading" in sys.modules:
        sys.modules["threading"]._shutdown()  # wait for the program's non-daemon threads, as Python does
    atexit._run_exitfuncs()
    _flush_and_exit(status)


def _call_each(namespace: dict, name: str, inputs: list, reporter: _Reporter) -> None:
    function = namespace.get(name)
    if not callable(function):
        raise NameError(f"the program defines no function {name!r}")
    for index, arguments in enumerate(inputs):
        reporter.record(index, function(*arguments))


def _set_limits(limits: dict) -> None:
    """Set each soft and hard rlimit to its value (or the hard limit already in place, if that is lower)."""
    for name, value in limits.items():
        kind = getattr(resource, name)
        hard = resource.getrlimit(kind)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(kind, (value, value))


def drop_privileges(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getresuid() != (uid, uid, uid) or os.getgroups():
        _fail_setup(f"could not switch to uid {uid}")


def start(job_path: str, job: dict, arguments: list[str]) -> None:
    """Entry point, called by BOOTSTRAP with the job it read: RESULT_FD [UID] (see the module docstring)."""
    os.unlink(job_path)
    if len(arguments) > 1:
        drop_privileges(int(arguments[1]))
    main(job, int(arguments[0]))


# `python -I -B -c BOOTSTRAP JOB_FILE RESULT_FD [UID]`: the job carries this module's code, compiled once by the
# caller (compiling it here would take milliseconds per run), and its source path for an interpreter whose bytecode
# differs. The module runs in a plain dict, so nothing of it is importable by the program.
BOOTSTRAP = ("import marshal, sys\nwith open(sys.argv[1], 'rb') as handle:\n    job = marshal.loads(handle.read())\n"
             "if job['harness_magic'] == sys.modules['_frozen_importlib_external'].MAGIC_NUMBER:\n"
             "    code = marshal.loads(job.pop('harness_code'))\nelse:\n"
             "    code = compile(open(job['harness_path'], 'rb').read(), job['harness_path'], 'exec')\n"
             "harness = {'__name__': '_sandbox_harness'}\nexec(code, harness)\n"
             "harness['start'](sys.argv[1], job, sys.argv[2:])\n")
