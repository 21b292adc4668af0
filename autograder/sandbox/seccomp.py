"""A seccomp filter for grading kernels: threads yes, new processes and non-TCP sockets no.

Blocks fork/vfork/clone of processes (threads are allowed), sockets other than Unix, netlink
(ZeroMQ reads the interface list; without CAP_NET_ADMIN it can change nothing) and TCP (itself
limited by Landlock), and the system calls that reach into other processes or
rebuild the sandbox (ptrace, process_vm_*, unshare, setns, mount, bpf, io_uring, ...). x86-64 only;
`install` returns False elsewhere and the other layers still hold.
"""

import ctypes
import errno
import platform

_AUDIT_ARCH_X86_64 = 0xC000003E
_RET_ALLOW, _RET_ERRNO = 0x7FFF0000, 0x00050000
_LD_W_ABS, _JEQ_K, _JSET_K, _AND_K, _RET_K = 0x20, 0x15, 0x45, 0x54, 0x06
_OFF_NR, _OFF_ARCH, _OFF_ARG0, _OFF_ARG1 = 0, 4, 16, 24

_SOCKET, _CLONE, _CLONE3 = 41, 56, 435
_DENIED = {  # name: x86-64 number
    "fork": 57, "vfork": 58, "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
    "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
    "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425, "keyctl": 250,
    "add_key": 248, "request_key": 249, "kexec_load": 246, "reboot": 169, "pidfd_open": 434,
    "pidfd_getfd": 438, "open_by_handle_at": 304,
}
_AF_UNIX, _AF_INET, _AF_INET6, _AF_NETLINK, _SOCK_STREAM, _CLONE_THREAD = 1, 2, 10, 16, 1, 0x10000


class _Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_Instruction))]


def _assemble(program: list[tuple]) -> list[tuple[int, int, int, int]]:
    """Resolve ('label', name) markers and jump targets given as label names into BPF offsets."""
    labels, body = {}, []
    for item in program:
        if item[0] == "label":
            labels[item[1]] = len(body)
        else:
            body.append(item)
    out = []
    for index, (code, jt, jf, k) in enumerate(body):
        jt = labels[jt] - index - 1 if isinstance(jt, str) else jt
        jf = labels[jf] - index - 1 if isinstance(jf, str) else jf
        out.append((code, jt, jf, k))
    return out


def _program() -> list[tuple[int, int, int, int]]:
    deny = _RET_ERRNO | errno.EPERM
    program: list[tuple] = [
        (_LD_W_ABS, 0, 0, _OFF_ARCH), (_JEQ_K, 0, "allow", _AUDIT_ARCH_X86_64),
        (_LD_W_ABS, 0, 0, _OFF_NR),
        (_JEQ_K, "socket", 0, _SOCKET), (_JEQ_K, "clone", 0, _CLONE),
        (_JEQ_K, "nosys", 0, _CLONE3),
    ]
    program += [(_JEQ_K, "deny", 0, number) for number in _DENIED.values()]
    program += [
        ("label", "allow"), (_RET_K, 0, 0, _RET_ALLOW),
        ("label", "deny"), (_RET_K, 0, 0, deny),
        ("label", "nosys"), (_RET_K, 0, 0, _RET_ERRNO | errno.ENOSYS),  # glibc then falls back to clone
        ("label", "socket"), (_LD_W_ABS, 0, 0, _OFF_ARG0),
        (_JEQ_K, "allow_socket", 0, _AF_UNIX), (_JEQ_K, "allow_socket", 0, _AF_NETLINK),
        (_JEQ_K, "stream", 0, _AF_INET), (_JEQ_K, "stream", 0, _AF_INET6),
        (_RET_K, 0, 0, _RET_ERRNO | errno.EAFNOSUPPORT),
        ("label", "stream"), (_LD_W_ABS, 0, 0, _OFF_ARG1), (_AND_K, 0, 0, 0xF),
        (_JEQ_K, "allow_socket", 0, _SOCK_STREAM), (_RET_K, 0, 0, deny),
        ("label", "allow_socket"), (_RET_K, 0, 0, _RET_ALLOW),
        ("label", "clone"), (_LD_W_ABS, 0, 0, _OFF_ARG0),
        (_JSET_K, "allow_thread", 0, _CLONE_THREAD), (_RET_K, 0, 0, deny),
        ("label", "allow_thread"), (_RET_K, 0, 0, _RET_ALLOW),
    ]  # classic BPF jumps only forwards, so each branch ends in its own return
    return _assemble(program)


def install() -> bool:
    """Install the filter on this process (inherited across exec); False where unsupported."""
    if platform.machine() != "x86_64":
        return False
    instructions = _program()
    array = (_Instruction * len(instructions))(*[_Instruction(*i) for i in instructions])
    program = _Program(len(instructions), array)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
        raise OSError(ctypes.get_errno(), "seccomp: no_new_privs refused")
    if libc.prctl(22, 2, ctypes.byref(program), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise OSError(ctypes.get_errno(), "seccomp: filter refused")
    return True
