#!/usr/bin/python3
"""unit_seccomp.py UNIT CMD [ARG...]: run CMD under the seccomp part of
the sandbox of the systemd unit file UNIT, built the way systemd builds it,
for a test on a machine where systemd does not run (package_test).

  SystemCallFilter=         an allow list (names and @groups, expanded by
                            systemd-analyze syscall-filter), and @default,
                            which systemd always allows; anything else
                            fails with SystemCallErrorNumber= (or is
                            killed without it)
  SystemCallArchitectures=native
                            only the native ABI: libseccomp's default
  MemoryDenyWriteExecute=yes
                            no mmap both writable and executable, no
                            mprotect or pkey_mprotect to executable, no
                            shmat with SHM_EXEC: EPERM
  RestrictAddressFamilies=  socket() of another family: EAFNOSUPPORT

Each is its own filter, as systemd loads them; the kernel applies the
strictest answer.  Needs Debian's python3-seccomp.
"""
import errno
import os
import socket
import subprocess
import sys

import seccomp

PROT_WRITE = 0x2
PROT_EXEC = 0x4
SHM_EXEC = 0o100000


def unit_values(path, key):
    """Every KEY= line of the unit's [Service] section, split into words."""
    words = []
    section = None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("["):
                section = line
            elif section == "[Service]" and line.startswith(key + "="):
                words += line[len(key) + 1:].split()
    return words


def groups():
    """systemd's syscall groups: name -> list of members (names, @groups)."""
    out = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager"],
                         capture_output=True, text=True, check=True).stdout
    g = {}
    cur = None
    for line in out.splitlines():
        if line.startswith("@"):
            cur = g.setdefault(line.strip(), [])
        elif line.startswith("    ") and cur is not None:
            word = line.strip()
            if word and not word.startswith("#"):
                cur.append(word)
        else:
            cur = None
    return g


def expand(names, g, seen=None):
    seen = set() if seen is None else seen
    calls = set()
    for n in names:
        if n.startswith("@"):
            if n in seen:
                continue
            seen.add(n)
            if n not in g:
                sys.exit("unit_seccomp: unknown group %s" % n)
            calls |= expand(g[n], g, seen)
        else:
            calls.add(n)
    return calls


def syscall_filter(unit, g):
    names = unit_values(unit, "SystemCallFilter")
    if not names:
        return None
    if any(n.startswith("~") for n in names):
        sys.exit("unit_seccomp: only allow lists are emulated")
    err = unit_values(unit, "SystemCallErrorNumber")
    action = seccomp.ERRNO(getattr(errno, err[0])) if err else \
        seccomp.KILL_PROCESS
    f = seccomp.SyscallFilter(defaction=action)
    for call in sorted(expand(names + ["@default"], g)):
        try:
            f.add_rule(seccomp.ALLOW, call)
        except (RuntimeError, ValueError, OSError):
            pass    # not a call of this architecture, as systemd skips it
    return f


def mdwe_filter(unit):
    if unit_values(unit, "MemoryDenyWriteExecute") != ["yes"]:
        return None
    f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    eperm = seccomp.ERRNO(errno.EPERM)
    wx = PROT_WRITE | PROT_EXEC
    f.add_rule(eperm, "mmap", seccomp.Arg(2, seccomp.MASKED_EQ, wx, wx))
    for call in ("mprotect", "pkey_mprotect"):
        f.add_rule(eperm, call,
                   seccomp.Arg(2, seccomp.MASKED_EQ, PROT_EXEC, PROT_EXEC))
    f.add_rule(eperm, "shmat",
               seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, SHM_EXEC))
    return f


def family_filter(unit):
    names = unit_values(unit, "RestrictAddressFamilies")
    if not names:
        return None
    allowed = {int(getattr(socket, n)) for n in names}
    f = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    noaf = seccomp.ERRNO(errno.EAFNOSUPPORT)
    top = max(allowed)
    for af in range(top):
        if af not in allowed:
            f.add_rule(noaf, "socket", seccomp.Arg(0, seccomp.EQ, af))
    f.add_rule(noaf, "socket", seccomp.Arg(0, seccomp.GT, top))
    return f


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: unit_seccomp.py UNIT CMD [ARG...]")
    unit = sys.argv[1]
    if unit_values(unit, "SystemCallArchitectures") not in ([], ["native"]):
        sys.exit("unit_seccomp: only SystemCallArchitectures=native")
    filters = [syscall_filter(unit, groups()), mdwe_filter(unit),
               family_filter(unit)]
    for f in filters:
        if f is not None:
            f.load()
    os.execvp(sys.argv[2], sys.argv[2:])


main()
