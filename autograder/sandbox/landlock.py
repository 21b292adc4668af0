"""Landlock (Linux >= 5.13): confine this process to a set of readable and writable folders.

Unprivileged and inherited across exec: once `restrict` returns, this process and everything it
runs can open only files beneath the allowed folders, bind only the allowed TCP ports, connect to
no TCP port, and (Linux >= 6.12) signal no process outside the sandbox.
"""

import ctypes
import os
from collections.abc import Iterable

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # the same on every architecture
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH, _RULE_NET_PORT = 1, 2

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_MAKE_ALL = sum(1 << bit for bit in range(4, 13))  # remove/make dirs, files, sockets, fifos, devices, symlinks
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
BIND_TCP, CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class LandlockError(OSError):
    """Landlock is missing or refused a rule."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _NetPort(ctypes.Structure):
    _fields_ = [("allowed_access", ctypes.c_uint64), ("port", ctypes.c_uint64)]


def abi_version() -> int:
    """The Landlock ABI version the running kernel offers; 0 when Landlock is unavailable."""
    version = _libc.syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(int(version), 0)


def _fs_rights(abi: int) -> int:
    rights = EXECUTE | WRITE_FILE | READ_FILE | READ_DIR | _MAKE_ALL
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def _check(result: int, what: str) -> int:
    if result < 0:
        error = ctypes.get_errno()
        raise LandlockError(error, f"landlock: {what}: {os.strerror(error)}")
    return int(result)


def restrict(readable: Iterable[str], writable: Iterable[str], bind_ports: Iterable[int] = ()) -> int:
    """Confine this process: read/execute beneath `readable`, full access beneath `writable`.

    Returns the ABI version used. Raises LandlockError when the kernel has no Landlock.
    """
    abi = abi_version()
    if abi < 1:
        raise LandlockError(0, "landlock: not available in this kernel")
    handled_fs = _fs_rights(abi)
    attr = _RulesetAttr(handled_fs, BIND_TCP | CONNECT_TCP if abi >= 4 else 0,
                        SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = _check(_libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0), "create ruleset")
    try:
        read_rights = EXECUTE | READ_FILE | READ_DIR
        for paths, rights in ((readable, read_rights), (writable, handled_fs)):
            for path in paths:
                if not os.path.exists(path):
                    continue
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                try:
                    allowed = rights if os.path.isdir(path) else rights & (EXECUTE | READ_FILE | WRITE_FILE | TRUNCATE
                                                                          | IOCTL_DEV)
                    rule = _PathBeneath(allowed & handled_fs, fd)
                    added = _libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0)
                    _check(added, f"allow {path}")
                finally:
                    os.close(fd)
        if abi >= 4:
            for port in bind_ports:
                rule = _NetPort(BIND_TCP, port)
                _check(_libc.syscall(_ADD_RULE, ruleset, _RULE_NET_PORT, ctypes.byref(rule), 0), f"bind port {port}")
        _check(_libc.prctl(38, 1, 0, 0, 0), "no_new_privs")  # PR_SET_NO_NEW_PRIVS
        _check(_libc.syscall(_RESTRICT_SELF, ruleset, 0), "restrict self")
    finally:
        os.close(ruleset)
    return abi
