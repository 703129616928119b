#!/usr/bin/python3
"""Where a process's memory is, by mapping: `make bench` (bench.sh) and
whoever wonders what a postern-worker costs.

  memmap.py PID...        one table per process
  memmap.py -s PID...     one table, the sum over the processes

Reads /proc/PID/smaps (root, or the processes' owner) and puts every
mapping in one of these rows, each with its Rss, Pss and private dirty
KiB:

  text LIB          executable code (r-x) of the program or a library:
                    shared between the processes that map it, so its
                    Pss is a share
  rodata LIB        read-only data (r--) that was never written
  reloc LIB         private dirty pages of a library's r-- and rw-
                    mappings: the pages the dynamic linker wrote,
                    .data.rel.ro and the GOT (read-only after full
                    RELRO) and .data, private in every process started
                    by exec
  bss LIB           the anonymous mapping right after a library's rw-
                    mapping: its .bss, written by the library
  heap              [heap]: malloc's arena (brk)
  stack             [stack]
  anon              other anonymous mappings: malloc's mmap'd chunks
                    (128 KiB and up), thread stacks, what a library maps
  shared            file and memfd mappings shared with other processes
                    (postern-policyd's generation page)
  kernel            [vvar], [vdso], [vsyscall]

With -s the rows of every process are added up, so the Pss of text is
the processes' share of it.  bench.sh calls rows() and table() itself.
"""

import os
import sys

FIELDS = ("Rss", "Pss", "Private_Dirty")


def mappings(pid):
    """The mappings of pid: dicts with start, end, perms, path and the
    FIELDS in KiB."""
    out = []
    cur = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split(None, 5)
            if "-" in head[0] and len(head) >= 5 and \
                    not head[0].endswith(":"):
                lo, hi = head[0].split("-")
                cur = {"start": int(lo, 16), "end": int(hi, 16),
                       "perms": head[1], "inode": head[4],
                       "path": head[5].strip() if len(head) > 5 else ""}
                for k in FIELDS:
                    cur[k] = 0
                out.append(cur)
                continue
            key = head[0].rstrip(":")
            if cur is not None and key in FIELDS:
                cur[key] = int(head[1])
    return out


def short(path):
    name = os.path.basename(path.replace(" (deleted)", ""))
    # libcrypto.so.3 -> libcrypto; postern-worker stays
    return name.split(".so")[0]


def rows(pid):
    """{row name: [rss, pss, private dirty]} of one process."""
    r = {}
    prev = None

    def add(name, m):
        v = r.setdefault(name, [0, 0, 0])
        for i, k in enumerate(FIELDS):
            v[i] += m[k]

    for m in mappings(pid):
        p, perms = m["path"], m["perms"]
        if p in ("[vvar]", "[vdso]", "[vsyscall]", "[vvar_vclock]"):
            add("kernel", m)
        elif p == "[heap]":
            add("heap", m)
        elif p.startswith("[stack"):
            add("stack", m)
        elif p == "" or p.startswith("[anon"):
            if prev is not None and prev["end"] == m["start"] and \
                    prev["path"].startswith("/") and \
                    prev["perms"].startswith("rw") and \
                    perms.startswith("rw"):
                add("bss " + short(prev["path"]), m)
            else:
                add("anon", m)
        elif perms[3] == "s" or p.startswith("/memfd:") or \
                p.startswith("/dev/"):
            add("shared", m)
        elif "x" in perms:
            add("text " + short(p), m)
        else:
            # r-- or rw- of a file: the written pages are the linker's
            # (and the library's own data); the rest is read-only data.
            lib = short(p)
            dirty = dict(m)
            clean = dict(m)
            for k in FIELDS:
                clean[k] = 0
            clean["Rss"] = m["Rss"] - m["Private_Dirty"]
            clean["Pss"] = max(0, m["Pss"] - m["Private_Dirty"])
            dirty["Rss"] = dirty["Pss"] = m["Private_Dirty"]
            add("reloc " + lib, dirty)
            add("rodata " + lib, clean)
        prev = m
    return r


def add_rows(total, r, sign=1):
    for k, v in r.items():
        t = total.setdefault(k, [0, 0, 0])
        for i in range(3):
            t[i] += sign * v[i]
    return total


def groups(r):
    """The rows folded into the README's groups: text, relocations and
    library data, heap, stack, anon, other."""
    g = {}
    for k, v in r.items():
        kind = k.split()[0]
        name = {"text": "text", "rodata": "text", "reloc": "relocations",
                "bss": "relocations"}.get(kind, kind)
        add_rows(g, {name: v})
    return g


def table(r, per=1, title=""):
    """r as text, every figure divided by per (sessions, processes)."""
    out = []
    if title:
        out.append(title)
    out.append(f"{'mapping':<28} {'Rss':>9} {'Pss':>9} {'PrivDirty':>9}")
    total = [0, 0, 0]
    for k, v in sorted(r.items(), key=lambda kv: -kv[1][1]):
        if all(abs(x) / per < 0.05 for x in v):
            continue
        out.append(f"{k:<28} " + " ".join(f"{x / per:9.1f}" for x in v))
        for i in range(3):
            total[i] += v[i]
    out.append(f"{'total':<28} " + " ".join(f"{x / per:9.1f}"
                                            for x in total))
    return "\n".join(out)


def main(argv):
    together = False
    if argv and argv[0] == "-s":
        together = True
        argv = argv[1:]
    if not argv:
        sys.exit("usage: memmap.py [-s] PID...")
    if together:
        total = {}
        for p in argv:
            add_rows(total, rows(p))
        print(table(total, title=f"{len(argv)} processes, KiB"))
        return
    for p in argv:
        with open(f"/proc/{p}/comm") as f:
            comm = f.read().strip()
        print(table(rows(p), title=f"pid {p} ({comm}), KiB"))
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
