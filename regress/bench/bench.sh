#!/usr/bin/python3
"""postern's IMAP benchmark: `make bench` runs this after the micro-benchmarks.

  bench [--rounds N] [--idle K[,K2]] [--seconds S] [--noops N]
        [--targets direct,postern,postern-policy,postern-proxy,
                   postern-exec,haproxy,nginx,perdition]
        [--workloads fetch,noop,verdict,sessions,pop3,idle,idle-compress,
                     storm] [--out FILE]

Starts the Dovecot fixture with a user "big" (2,000 messages of about
50 KB) and a user "small" (100 small ones), posternd in front of it, and
HAProxy (TCP mode), the nginx mail proxy and Perdition where installed
(`make deps-bench`), each with its configuration, pid file and logs under
one temporary directory; postern-policy is posternd enforcing a 100-rule
policy and writing audit logs; postern-proxy is posternd with `login
proxy' listeners (postern greets and takes the login, the upstream is
connected after it: the session workload's ratio to direct is what that
costs a session); postern-exec (not run unless named)
is posternd with every worker exec'd on its own, template-forks 0.
Every workload of imapload runs against
every target in interleaved rounds, the order rotating each round, so the
machine's drift hits all targets alike; then idle holds K sessions in
IDLE through each target in turn (Dovecot's own processes for direct)
and reads their memory, with the breakdown by mapping (memmap.py) of the
proxy's processes; idle-compress does the same through the postern
targets with COMPRESS DEFLATE sent before IDLE.  --workloads runs only
some of them.  The table (medians of the rounds,
ratio to the direct connection) goes to stdout and, as Markdown, to
OBJDIR/bench-results.md, every round's figures to bench-results.json.
Goals are reported, never asserted.
"""

import argparse
import os
import platform
import pwd
import grp
import json
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

TOPDIR = "@TOPDIR@"
OBJDIR = "@OBJDIR@"
FIXTURE = OBJDIR + "/regress/fixture/dovecot"
IMAPLOAD = OBJDIR + "/regress/bench/imapload"
POSTERND = OBJDIR + "/bin/posternd"
WORKER = OBJDIR + "/bin/postern-worker"
NETPY = TOPDIR + "/regress/fixture/net.py"
sys.path.insert(0, TOPDIR + "/regress/bench")
import memmap	# noqa: E402
NGINX_MAIL = "/usr/lib/nginx/modules/ngx_mail_module.so"
NOFILE = 65536
POP3_WINDOW = 16	# imapload.c's

BIG_MSGS, BIG_SIZE = 2000, 50 * 1024
SMALL_MSGS, SMALL_SIZE = 100, 2 * 1024


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def wait_greeting(port, timeout=30.0, ok=b"* OK"):
    """Until 127.0.0.1:port sends an IMAP (or POP3) greeting, or fail."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), 1) as s:
                s.settimeout(2)
                if s.recv(64).startswith(ok):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"no IMAP greeting on port {port} in {timeout} s")


def free_ports(n):
    out = subprocess.run(["/usr/bin/python3", NETPY, "freeports", str(n)],
                         check=True, capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def message(i, size):
    """One RFC 5322 message with CRLF line ends, of about size octets."""
    head = (f"From: Sender {i} <sender{i}@example.org>\r\n"
            f"To: bench@example.org\r\n"
            f"Subject: benchmark message {i}\r\n"
            f"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
            f"Message-ID: <bench.{i}@example.org>\r\n"
            f"MIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=us-ascii\r\n\r\n")
    # Lines a client that frames literals wrongly would take for replies:
    # imapload tags its FETCH a3 and its LOGOUT a4.
    trap = ("a3 OK FETCH completed (trap)\r\n* 7 FETCH (BODY[] {5}\r\n"
            "a4 OK trap\r\n)\r\n")
    line = ("%06d " % i + "abcdefghijklmnopqrstuvwxyz0123456789" * 2)[:76]
    line += "\r\n"
    n = max(1, (size - len(head) - len(trap)) // len(line))
    half = n // 2
    return (head + line * half + trap + line * (n - half)).encode()


def make_maildir(home, user, count, size):
    cur = os.path.join(home, user, "Maildir", "cur")
    for d in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(home, user, "Maildir", d), exist_ok=True)
    ts = 1700000000
    for i in range(1, count + 1):
        body = message(i, size)
        name = f"{ts + i}.M{i}P1.bench,S={len(body)},W={len(body)}:2,"
        path = os.path.join(cur, name)
        with open(path, "wb") as f:
            f.write(body)
        os.utime(path, (ts + i, ts + i))


def chown_tree(top, uid, gid):
    for root, dirs, files in os.walk(top):
        os.chown(root, uid, gid)
        for f in files:
            os.chown(os.path.join(root, f), uid, gid)


def raise_nofile():
    # Root may raise the hard limit; every peer started here inherits it.
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))
    except (ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- processes and memory -------------------------------------------------

def children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
        except OSError:
            continue
        ppid = int(s[s.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def tree(pid):
    kids, out, todo = children_map(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cpu_seconds(root):
    """
    CPU time of a process tree so far: the scheduler's nanoseconds of
    every live thread, and the 10 ms ticks of children already reaped.
    """
    total = 0.0
    for p in tree(root):
        try:
            with open(f"/proc/{p}/stat") as f:
                v = f.read()
            v = v[v.rindex(")") + 2:].split()
            total += (int(v[13]) + int(v[14])) / TICK	# cutime cstime
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/schedstat") as f:
                    total += int(f.read().split()[0]) / 1e9
        except (OSError, ValueError, IndexError):
            continue
    return total


TICK = os.sysconf("SC_CLK_TCK")


def pss_kib(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


# --- targets ----------------------------------------------------------------

class Target:
    name = "?"
    proc = None

    def __init__(self, tmp, upstream, k):
        self.dir = os.path.join(tmp, self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.upstream = upstream
        self.k = k
        self.port = None
        self.pop3_port = None	# only direct and postern run pop3

    def available(self):
        return True

    def start(self):
        pass

    def root_pid(self):
        return self.proc.pid if self.proc else None

    def idle_root(self):
        return self.root_pid()

    def spawn(self, argv, logname="log"):
        self.logf = open(os.path.join(self.dir, logname), "w")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=self.logf,
                                     stderr=subprocess.STDOUT,
                                     cwd=self.dir)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                for p in reversed(tree(self.proc.pid)):
                    try:
                        os.kill(p, 9)
                    except OSError:
                        pass
                self.proc.wait()


def bench_rules():
    """A 100-rule policy that lets the workloads through, with rules that
    are tried and do not hold on the keys the workloads use (so a lookup
    walks a real list) and others on keys they never use."""
    r = []
    for i in range(24):
        r.append(f'imap request X-BENCH{i} reject "not here" '
                 f'if user "nobody{i}"')
    for cmd in ("LOGIN", "SELECT", "FETCH", "NOOP", "IDLE", "LOGOUT"):
        for net in ("10.9.0.0/16", "192.0.2.0/24", "2001:db8::/32"):
            r.append(f'imap request {cmd} reject "no" if client {net}')
        r.append(f'imap request {cmd} abort if user "blocked*" and not tls')
    # The verdict workload's: it depends on the argument, so no worker
    # keeps it and every STATUS is a round trip to postern-policyd.
    r.append('imap request STATUS reject "no" if arg 1 ~ "Bench*"')
    for name in ("FETCH", "EXISTS", "RECENT", "FLAGS", "OK"):
        r.append(f"imap response * untagged {name} drop "
                 f"if client 10.9.0.0/16")
        r.append(f"imap response * untagged {name} accept")
    for i in range(20):
        r.append(f'imap list hide "Bench{i}/*" if user "nobody{i}"')
    for cap in ("X-BENCH1", "X-BENCH2", "X-BENCH3", "X-BENCH4"):
        r.append(f"imap capability {cap} drop")
    r += ["imap response * all * accept",
          "imap capability * accept",
          "imap request * accept",
          "pop3 request * accept",
          "pop3 response * * accept",
          "pop3 capability * accept"]
    while len(r) < 100:
        r.insert(0, f'imap request X-PAD{len(r)} drop if client 10.8.0.0/16')
    return "\n".join(r) + "\n"


class Direct(Target):
    name = "direct"

    def start(self):
        self.port = self.upstream
        self.pop3_port = POP3_UPSTREAM[0]

    def root_pid(self):
        return None

    def idle_root(self):
        """Dovecot's master: its imap processes are what an idle session
        costs without a proxy."""
        with open(DOVECOT_PID[0]) as f:
            return int(f.read().split()[0])


class Postern(Target):
    name = "postern"

    def start(self):
        self.port, self.pop3_port = free_ports(2)
        # pool max is every listener's: two of 10,000 would need more
        # descriptors than a hard limit of 20,000 gives, so a large idle
        # run has the IMAP listener alone (no pop3 workload then).
        pop3 = self.k + 100 <= 8000
        if not pop3:
            self.pop3_port = None
        empty = os.path.join(self.dir, "empty")
        os.makedirs(empty, exist_ok=True)
        os.chmod(empty, 0o755)
        conf = os.path.join(self.dir, "postern.conf")
        # A worker per session: enough for the idle sessions and the
        # others, and as many waiting as the session workload's clients.
        with open(conf, "w") as f:
            f.write(f"""user nobody
chroot "{empty}"
worker "{WORKER}"
pool min-idle 40 max {min(16384, self.k + 100)} sessions 100{self.pool_extra()}
{self.policy_line()}listen on 127.0.0.1 port {self.port} imap name bench \\
	upstream 127.0.0.1 port {self.upstream}
""")
            if pop3:
                f.write(f"""listen on 127.0.0.1 port {self.pop3_port} pop3 \\
	name bench-pop3 upstream 127.0.0.1 port {POP3_UPSTREAM[0]}
""")
        self.spawn([POSTERND, "-d", "-f", conf])
        wait_greeting(self.port)
        if pop3:
            wait_greeting(self.pop3_port, ok=b"+OK")

    def policy_line(self):
        return ""

    def pool_extra(self):
        return ""


class PosternProxy(Postern):
    """posternd with login proxy listeners (postern.conf(5), "login
    proxy"): postern greets and takes the login, then the master
    connects the upstream and the worker replays the login; what that
    costs a session against direct Dovecot."""
    name = "postern-proxy"

    def start(self):
        self.port, self.pop3_port = free_ports(2)
        empty = os.path.join(self.dir, "empty")
        os.makedirs(empty, exist_ok=True)
        os.chmod(empty, 0o755)
        conf = os.path.join(self.dir, "postern.conf")
        with open(conf, "w") as f:
            f.write(f"""user nobody
chroot "{empty}"
worker "{WORKER}"
pool min-idle 40 max {min(4096, self.k + 100)} sessions 100
upstream imap server 127.0.0.1 port {self.upstream}
upstream pop server 127.0.0.1 port {POP3_UPSTREAM[0]}
listen on 127.0.0.1 port {self.port} imap name bench login proxy \\
	upstream imap
listen on 127.0.0.1 port {self.pop3_port} pop3 name bench-pop3 \\
	login proxy upstream pop
""")
        self.spawn([POSTERND, "-d", "-f", conf])
        wait_greeting(self.port)
        wait_greeting(self.pop3_port, ok=b"+OK")


class PosternExec(Postern):
    """posternd with every worker exec'd on its own (pool template-forks
    0), as before the pool's template: what the template saves."""
    name = "postern-exec"

    def pool_extra(self):
        return " template-forks 0"


class PosternPolicy(Postern):
    """posternd enforcing a 100-rule policy (postern.rules(5)): every
    command, response and capability gets a verdict, most from the
    worker's cache; every worker writes its audit log."""
    name = "postern-policy"
    POLICYCTL = OBJDIR + "/bin/policyctl"

    def rules(self):
        return bench_rules()

    def policy_line(self):
        store = os.path.join(self.dir, "store")
        os.makedirs(store, mode=0o700, exist_ok=True)
        path = os.path.join(self.dir, "bench.rules")
        with open(path, "w") as f:
            f.write(self.rules())
        subprocess.run([self.POLICYCTL, "-s", store, "load", path],
                       check=True, stdout=subprocess.DEVNULL)
        audit = os.path.join(self.dir, "audit")
        os.makedirs(audit, mode=0o750, exist_ok=True)
        return f'policy store "{store}"\naudit dir "{audit}"\n'


class HAProxy(Target):
    name = "haproxy"
    BIN = "/usr/sbin/haproxy"

    def available(self):
        return os.access(self.BIN, os.X_OK)

    def start(self):
        self.port = free_ports(1)[0]
        conf = os.path.join(self.dir, "haproxy.cfg")
        with open(conf, "w") as f:
            f.write(f"""global
	maxconn {2 * self.k + 1000}
	pidfile {self.dir}/haproxy.pid
defaults
	mode tcp
	timeout connect 5s
	timeout client 1h
	timeout server 1h
frontend imap
	bind 127.0.0.1:{self.port}
	default_backend dovecot
backend dovecot
	server d 127.0.0.1:{self.upstream}
""")
        self.spawn([self.BIN, "-db", "-f", conf])
        wait_greeting(self.port)


class Nginx(Target):
    name = "nginx"
    BIN = "/usr/sbin/nginx"

    def available(self):
        return os.access(self.BIN, os.X_OK) and os.path.exists(NGINX_MAIL)

    def start(self):
        self.port, auth = free_ports(2)
        conf = os.path.join(self.dir, "nginx.conf")
        # auth_http is answered by an http server of the same nginx, so the
        # responder is never what limits the session rate.
        with open(conf, "w") as f:
            f.write(f"""load_module {NGINX_MAIL};
daemon off;
worker_processes auto;
worker_rlimit_nofile {NOFILE};
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log;
events {{ worker_connections {2 * self.k + 1000}; }}
http {{
	access_log off;
	server {{
		listen 127.0.0.1:{auth};
		location = /auth {{
			add_header Auth-Status OK;
			add_header Auth-Server 127.0.0.1;
			add_header Auth-Port {self.upstream};
			return 204;
		}}
	}}
}}
mail {{
	server_name localhost;
	auth_http 127.0.0.1:{auth}/auth;
	proxy on;
	imap_capabilities IMAP4rev1 LITERAL+ SASL-IR IDLE;
	server {{
		listen 127.0.0.1:{self.port};
		protocol imap;
	}}
}}
""")
        self.spawn([self.BIN, "-p", self.dir + "/", "-c", conf,
                    "-e", self.dir + "/error.log"])
        wait_greeting(self.port)


class Perdition(Target):
    name = "perdition"
    BIN = "/usr/sbin/perdition.imap4"

    def available(self):
        return os.access(self.BIN, os.X_OK)

    def start(self):
        self.port = free_ports(1)[0]
        conf = os.path.join(self.dir, "perdition.conf")
        open(conf, "w").close()
        # No map: every user goes to the outgoing server.
        self.spawn([self.BIN, "--no_daemon", "-f", conf,
                    "--pid_file", self.dir + "/perdition.pid",
                    "-b", "127.0.0.1", "-l", str(self.port),
                    "-s", "127.0.0.1", "-p", str(self.upstream),
                    "-n", "--ssl_mode", "none", "-M", "",
                    "--connection_limit", "0", "-u", "nobody"])
        wait_greeting(self.port)


ALL_TARGETS = [Direct, Postern, PosternPolicy, PosternProxy, PosternExec,
               HAProxy, Nginx, Perdition]


# --- workloads --------------------------------------------------------------

def imapload(args, timeout=300):
    r = subprocess.run([IMAPLOAD] + args, capture_output=True, text=True,
                       timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"imapload {' '.join(args)}: {r.stderr.strip()}")
    return dict(kv.split("=", 1) for kv in r.stdout.split())


def check(w, t, r):
    """A figure counts only if the workload did what it says."""
    if w == "fetch":
        if int(r["responses"]) != BIG_MSGS or int(r["literals"]) != BIG_MSGS:
            raise RuntimeError(f"fetch via {t.name}: {r['responses']} "
                               f"responses, {r['literals']} literals, "
                               f"not {BIG_MSGS}")
        # The tagged OK line's timing text varies; the mail may not.
        n = int(r["literal_bytes"])
        if n != FETCH_BYTES.setdefault("bytes", n):
            raise RuntimeError(f"fetch via {t.name}: {n} octets of "
                               f"literal, direct had {FETCH_BYTES['bytes']}")
    if w == "pop3":
        n = int(r["body_bytes"])
        if int(r["messages"]) != BIG_MSGS or \
                n != FETCH_BYTES.setdefault("pop3", n):
            raise RuntimeError(f"pop3 via {t.name}: {r['messages']} "
                               f"messages, {n} octets, direct had "
                               f"{FETCH_BYTES['pop3']}")
    return r


FETCH_BYTES = {}
LOAD_BEFORE = []
POP3_UPSTREAM = []
DOVECOT_PID = []
BREAKDOWN = {}


def breakdown(pids):
    """memmap's rows, summed over pids."""
    total = {}
    for p in pids:
        try:
            memmap.add_rows(total, memmap.rows(p))
        except OSError:
            pass
    return total


def run_idle(t, k, compress=False):
    """
    PSS per idle session, KiB: the proxy's processes, or Dovecot's for
    the direct connection; and the proxy's breakdown by mapping per
    session (memmap.py), in BREAKDOWN.  compress: each session sends
    COMPRESS DEFLATE before IDLE (postern's own; the fixture's Dovecot
    does not offer it).
    """
    root = t.idle_root()
    if root is None:
        return None
    time.sleep(1)
    base_pids = tree(root)
    base = pss_kib(base_pids)
    base_rows = breakdown(base_pids)
    p = subprocess.Popen([IMAPLOAD, "idle", "-p", str(t.port), "-u", "small",
                          "-c", str(k)] + (["-z"] if compress else []),
                         stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    line = p.stdout.readline()
    if not line.startswith("ready"):
        p.kill()
        p.wait()
        raise RuntimeError(f"imapload idle: {p.stderr.read().strip()}")
    # A worker gives back its buffers after a second without a byte
    # (relay.c, RELAY_REST_MS): measured once every session is at rest.
    time.sleep(3)
    pids = tree(root)
    full = pss_kib(pids)
    name = t.name + (" COMPRESS" if compress else "")
    if t.name != "direct":
        rows = memmap.add_rows(breakdown(pids), base_rows, -1)
        BREAKDOWN[(name, k)] = rows
        log(memmap.table(rows, k, f"idle {name}: per session, KiB"))
    p.stdin.close()
    answered = p.stdout.readline().strip()
    p.wait(120)
    log(f"idle {name}: {k} sessions, {len(pids)} processes, "
        f"PSS {base} -> {full} KiB; NOOP after IDLE: {answered}")
    if answered != f"answered={k} of {k}":
        raise RuntimeError(f"idle {name}: after IDLE, {answered}")
    return (full - base) / k


# --- the run ----------------------------------------------------------------

def dovecot_conf_extra(k):
    # Room for the idle sessions: a Dovecot imap process per session.
    return f"""
# bench.sh: room for {k} idle sessions
default_client_limit = {2 * k + 2000}
protocol imap {{
  mail_max_userip_connections = {k + 500}
}}
service imap {{
  process_limit = {k + 500}
}}
service imap-login {{
  process_min_avail = 2
}}
"""


def start_dovecot(dv, k):
    subprocess.run([FIXTURE, "start", dv], check=True,
                   stdout=subprocess.DEVNULL)
    ports = {}
    with open(os.path.join(dv, "ports")) as f:
        for line in f:
            if "=" in line:
                key, val = line.strip().split("=", 1)
                ports[key] = int(val)
    # The fixture copies its own mail at every start; the load mail and
    # the larger limits go in while it is stopped, and it is started again
    # with the same configuration and directory.
    subprocess.run([FIXTURE, "stop", dv], check=True)
    with open(os.path.join(dv, "dovecot.conf"), "a") as f:
        f.write(dovecot_conf_extra(k))
    home = os.path.join(dv, "home")
    t0 = time.monotonic()
    make_maildir(home, "big", BIG_MSGS, BIG_SIZE)
    make_maildir(home, "small", SMALL_MSGS, SMALL_SIZE)
    chown_tree(home, pwd.getpwnam("nobody").pw_uid,
               grp.getgrnam("nogroup").gr_gid)
    log(f"mail generated in {time.monotonic() - t0:.1f} s")
    subprocess.run(["/usr/sbin/dovecot", "-c", os.path.join(dv,
                    "dovecot.conf")], check=True)
    wait_greeting(ports["IMAP_PORT"])
    POP3_UPSTREAM.append(ports["POP3_PORT"])
    DOVECOT_PID.append(os.path.join(dv, "run", "master.pid"))
    return ports["IMAP_PORT"]


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, Linux {platform.release()}"


# In rounds, interleaved; idle and storm after them, one target at a time.
ROUND_WORKLOADS = ["fetch", "noop", "verdict", "sessions", "pop3"]
WORKLOADS = ROUND_WORKLOADS + ["idle", "idle-compress", "storm"]
# verdict: a command whose verdict depends on its argument (bench_rules()),
# so that postern-policy asks postern-policyd every time.
VERDICT_CMD = "STATUS INBOX (MESSAGES)"


def run_rounds(targets, opts):
    ws = [w for w in ROUND_WORKLOADS if w in opts.workloads]
    res = {(w, t.name): [] for w in ws for t in targets}
    for r in range(opts.rounds if ws else 0):
        # Rotate, so no target always runs first or right after another.
        order = targets[r % len(targets):] + targets[:r % len(targets)]
        for w in ws:
            for t in order:
                if w == "pop3" and t.pop3_port is None:
                    continue
                if w == "fetch":
                    a = ["fetch", "-p", str(t.port), "-u", "big"]
                elif w == "pop3":
                    a = ["pop3", "-p", str(t.pop3_port), "-u", "big"]
                elif w == "noop":
                    a = ["noop", "-p", str(t.port), "-u", "small",
                         "-n", str(opts.noops)]
                elif w == "verdict":
                    a = ["noop", "-p", str(t.port), "-u", "small",
                         "-n", str(opts.noops // 4), "-C", VERDICT_CMD]
                else:
                    a = ["sessions", "-p", str(t.port), "-u", "small",
                         "-c", "32", "-t", str(opts.seconds)]
                root = t.root_pid()
                c0 = cpu_seconds(root) if root else 0
                out = check(w, t, imapload(a))
                if root:
                    # Workers that just ended count once posternd reaps them.
                    time.sleep(0.3)
                    out["cpu_s"] = cpu_seconds(root) - c0
                res[(w, t.name)].append(out)
        log(f"round {r + 1}/{opts.rounds} done")
    return res


def run_storm(t, k):
    """
    k clients at once, each to IDLE: how long until all are there, and
    how many failed (refused, or no verdict in `timeout policy').
    """
    p = subprocess.run([IMAPLOAD, "storm", "-p", str(t.port), "-u", "small",
                        "-c", str(k)], capture_output=True, text=True,
                       timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"imapload storm: {p.stderr.strip()}")
    r = dict(kv.split("=", 1) for kv in p.stdout.split())
    log(f"storm {t.name}: {k} clients, {r['idling']} in IDLE in "
        f"{r['seconds']} s, {r['errors']} failed")
    # Why they failed, as the client saw it: a refusal's text or the
    # step where the connection closed.
    for line in p.stderr.splitlines():
        log(f"storm {t.name}: {line}")
    return r


def med(rows, key):
    return statistics.median(float(x[key]) for x in rows)


def cpu(rows, key, scale, unit):
    """Median proxy CPU time per unit of work; None without a proxy."""
    if not rows or "cpu_s" not in rows[0]:
        return None
    return statistics.median(x["cpu_s"] * unit / (float(x[key]) * scale)
                             for x in rows)


def cell(x, fmt="{:.1f}"):
    if x is None or isinstance(x, str):
        return x or "n/a"
    return fmt.format(x)


def ratio(x, base):
    if not isinstance(x, float) or not isinstance(base, float) or not base:
        return ""
    return f" ({x / base:.2f}x)"


# The columns of the first table: (workload, heading, key, scale, ratio?)
COLUMNS = [
    ("fetch", "fetch MB/s", "bytes_per_s", 1e-6, True),
    ("noop", "noop p50 µs", "p50_us", 1, True),
    ("noop", "noop p90 µs", "p90_us", 1, False),
    ("noop", "noop p99 µs", "p99_us", 1, False),
    ("verdict", "uncached verdict p50 µs", "p50_us", 1, True),
    ("verdict", "p99 µs", "p99_us", 1, False),
    ("sessions", "sessions/s", "sessions_per_s", 1, True),
    ("sessions", "session p50 ms", "p50_ms", 1, False),
    ("sessions", "session p99 ms", "p99_ms", 1, False),
]


def table(targets, res, idle, idlez, storm, opts, elapsed):
    out = []
    out.append(f"postern benchmark, "
               f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
               f"{machine()}; {opts.rounds} rounds, medians; "
               f"{elapsed:.0f} s in all; load average before the run "
               f"{LOAD_BEFORE[0]}; postern-policy enforces a "
               f"100-rule policy and writes audit logs.\n")
    cols = [c for c in COLUMNS if c[0] in opts.workloads]
    if cols:
        heads = [c[1] for c in cols]
        if "sessions" in opts.workloads:
            heads.append("session errors")
        out.append("| target | " + " | ".join(heads) + " |")
        out.append("|" + "---|" * (len(heads) + 1))
        for t in targets:
            cells = []
            for w, _, key, scale, rat in cols:
                x = med(res[(w, t.name)], key) * scale
                s = cell(x)
                if rat and t.name != "direct":
                    s += ratio(x, med(res[(w, "direct")], key) * scale)
                cells.append(s)
            if "sessions" in opts.workloads:
                cells.append(str(sum(int(x["errors"])
                                     for x in res[("sessions", t.name)])))
            out.append(f"| {t.name} | " + " | ".join(cells) + " |")
        out.append("")
        out.append("Ratios in parentheses are to the direct connection.  "
                   "An uncached verdict is `" + VERDICT_CMD + "`, "
                   "whose verdict under postern-policy depends on its "
                   "argument: a round trip to postern-policyd each time.")
        out.append("")
    heads = [f"KiB per idle session (K={k})" for k in opts.idle
             if "idle" in opts.workloads]
    heads += [f"KiB per COMPRESS idle session (K={k})" for k in opts.idle
              if "idle-compress" in opts.workloads]
    if "fetch" in opts.workloads:
        heads.append("CPU ms per 100 MB fetched")
    if "sessions" in opts.workloads:
        heads.append("CPU µs per session")
    if heads:
        out.append("What each costs:")
        out.append("")
        out.append("| target | " + " | ".join(heads) + " |")
        out.append("|" + "---|" * (len(heads) + 1))
        for t in targets:
            cells = []
            if "idle" in opts.workloads:
                for k in opts.idle:
                    x = idle.get((t.name, k))
                    s = cell(x)
                    if t.name != "direct":
                        s += ratio(x, idle.get(("direct", k)))
                    cells.append(s)
            if "idle-compress" in opts.workloads:
                for k in opts.idle:
                    x = idlez.get((t.name, k))
                    s = cell(x)
                    if isinstance(x, float):
                        s += ratio(x, idle.get((t.name, k)))
                    cells.append(s)
            if "fetch" in opts.workloads:
                cells.append(cell(cpu(res[("fetch", t.name)], "bytes",
                                      1e-8, 1e3)))
            if "sessions" in opts.workloads:
                cells.append(cell(cpu(res[("sessions", t.name)],
                                      "sessions", 1, 1e6), "{:.0f}"))
            name = t.name if t.name != "direct" else \
                "direct (Dovecot's imap)"
            out.append(f"| {name} | " + " | ".join(cells) + " |")
        out.append("")
        out.append("Memory is the PSS (/proc/PID/smaps_rollup) of the "
                   "proxy's processes (for direct, of Dovecot's) with K "
                   "sessions in IDLE less that with none, over K; the "
                   "ratio is to Dovecot's.  A COMPRESS idle session sent "
                   "COMPRESS DEFLATE before IDLE (postern's own, "
                   "terminated in the worker; the ratio is to the same "
                   "target's uncompressed session).  CPU is the proxy's run time "
                   "over the workload (/proc schedstat of its threads, "
                   "plus user+system time of processes it reaped), "
                   "medians of the rounds; Dovecot and imapload share the "
                   "same cores.")
    for (name, k), rows in sorted(BREAKDOWN.items()):
        out.append("")
        out.append(f"{name}, one idle session's share by mapping "
                   f"(memmap.py, K={k}), KiB:")
        out.append("")
        out.append("| mapping | Pss | private dirty |")
        out.append("|---|---|---|")
        g = memmap.groups(rows)
        for key, v in sorted(g.items(), key=lambda kv: -kv[1][1]):
            out.append(f"| {key} | {v[1] / k:.1f} | {v[2] / k:.1f} |")
        for key, v in sorted(rows.items(), key=lambda kv: -kv[1][1])[:12]:
            out.append(f"| ({key}) | {v[1] / k:.1f} | {v[2] / k:.1f} |")
    if storm:
        out.append("")
        out.append(f"Login storm: {opts.storm} clients connecting at once, "
                   "each LOGIN, SELECT, IDLE:")
        out.append("")
        out.append("| target | seconds until all in IDLE | sessions/s | "
                   "failed |")
        out.append("|---|---|---|---|")
        for t in targets:
            r = storm.get(t.name)
            if r is None:
                continue
            if isinstance(r, str):
                out.append(f"| {t.name} | {r} | | |")
                continue
            sec = float(r["seconds"])
            rate = int(r["idling"]) / sec if sec > 0 else 0
            base = storm.get("direct")
            rat = ""
            if t.name != "direct" and isinstance(base, dict):
                bs = float(base["seconds"])
                rat = f" ({sec / bs:.2f}x)" if bs > 0 else ""
            out.append(f"| {t.name} | {sec:.2f}{rat} | {rate:.0f} | "
                       f"{r['errors']} |")
    pop3 = {t.name: med(res[("pop3", t.name)], "bytes_per_s") / 1e6
            for t in targets if res.get(("pop3", t.name))}
    if pop3:
        out.append("")
        out.append(f"POP3, RETR of every message of the {BIG_MSGS}-message "
                   f"mailbox ({POP3_WINDOW} pipelined):")
        out.append("")
        out.append("| target | RETR MB/s | CPU ms per 100 MB |")
        out.append("|---|---|---|")
        for n, v in pop3.items():
            r = f" ({v / pop3['direct']:.2f}x)" if n != "direct" else ""
            out.append(f"| {n} | {v:.1f}{r} | "
                       f"{cell(cpu(res[('pop3', n)], 'bytes', 1e-8, 1e3))} |")
    names = [t.name for t in targets]
    for name in ("postern", "postern-policy"):
        if name not in names:
            continue

        def m(w, key, n=name):
            return med(res[(w, n)], key)
        goals = []
        if "fetch" in opts.workloads:
            goals.append(("fetch >= 0.90 of direct",
                          m("fetch", "bytes_per_s") >=
                          0.90 * m("fetch", "bytes_per_s", "direct")))
        if "noop" in opts.workloads:
            goals.append(("noop p50 <= direct + 40 µs",
                          m("noop", "p50_us") <=
                          m("noop", "p50_us", "direct") + 40))
        if "verdict" in opts.workloads and name == "postern-policy":
            goals.append(("uncached verdict p50 <= direct + 15 µs",
                          m("verdict", "p50_us") <=
                          m("verdict", "p50_us", "direct") + 15))
        if "sessions" in opts.workloads:
            goals.append(("sessions/s >= 0.94 of direct",
                          m("sessions", "sessions_per_s") >=
                          0.94 * m("sessions", "sessions_per_s", "direct")))
            if "nginx" in names:
                goals.append(("sessions/s >= nginx",
                              m("sessions", "sessions_per_s") >=
                              m("sessions", "sessions_per_s", "nginx")))
        if "postern" in pop3 and name == "postern":
            goals.append(("pop3 >= 0.90 of direct",
                          pop3["postern"] >= 0.90 * pop3["direct"]))
        for k in opts.idle if "idle" in opts.workloads else []:
            x = idle.get((name, k))
            if isinstance(x, float):
                goals.append((f"<= 256 KiB per idle session at {k}",
                              x <= 256))
        if storm and isinstance(storm.get(name), dict):
            goals.append(("no storm session failed",
                          int(storm[name]["errors"]) == 0))
        if goals:
            out.append("")
            out.append(f"Goals for {name}: " + "; ".join(
                f"{g}: {'met' if ok else 'NOT met'}" for g, ok in goals) +
                ".")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--idle", default="1000",
                    help="sessions held in IDLE, one or more: 1000,10000")
    ap.add_argument("--storm", type=int, default=2000,
                    help="clients of the login storm")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--noops", type=int, default=20000)
    ap.add_argument("--targets",
                    default="direct,postern,postern-policy,postern-proxy,"
                    "haproxy,nginx,perdition")
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--out", default=OBJDIR + "/bench-results.md")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory")
    opts = ap.parse_args()
    try:
        opts.idle = [int(k) for k in opts.idle.split(",")]
    except ValueError:
        ap.error("--idle: numbers, separated by commas")
    if not all(1 <= k <= 10000 for k in opts.idle):
        ap.error("--idle must be from 1 to 10000")
    if not 1 <= opts.storm <= 10000:
        ap.error("--storm must be from 1 to 10000")
    opts.workloads = opts.workloads.split(",")
    if not set(opts.workloads) <= set(WORKLOADS):
        ap.error("--workloads: some of " + ",".join(WORKLOADS))
    if "direct" not in opts.targets.split(","):
        ap.error("--targets must include direct, the baseline")
    if os.getuid() != 0:
        sys.exit("bench: must run as root (Dovecot fixture, posternd)")
    t_start = time.monotonic()
    # Others' work on the machine shows in the figures; say how much.
    LOAD_BEFORE.append(" ".join(open("/proc/loadavg").read().split()[:3]))
    raise_nofile()
    tmp = tempfile.mkdtemp(prefix="postern-bench.")
    os.chmod(tmp, 0o755)
    dv = os.path.join(tmp, "dv")
    targets = []
    most = max(opts.idle + [opts.storm if "storm" in opts.workloads else 0])
    try:
        upstream = start_dovecot(dv, most)
        for cls in ALL_TARGETS:
            if cls.name not in opts.targets.split(","):
                continue
            t = cls(tmp, upstream, most)
            if not t.available():
                log(f"{cls.name}: not installed (make deps-bench), skipped")
                continue
            targets.append(t)	# before start: stopped even if it fails
            t.start()
        log("targets: " + ", ".join(f"{t.name}:{t.port}" for t in targets))
        # Warm up: Dovecot's indexes, the page cache, every proxy's pool.
        check("fetch", targets[0],
              imapload(["fetch", "-p", str(upstream), "-u", "big"]))
        for t in targets:
            imapload(["sessions", "-p", str(t.port), "-u", "small",
                      "-c", "32", "-t", "1"])
        res = run_rounds(targets, opts)
        idle = {}
        for k in opts.idle if "idle" in opts.workloads else []:
            for t in targets:
                try:
                    idle[(t.name, k)] = run_idle(t, k)
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    # posternd's pool stops at 4096 workers, for one.
                    log(f"idle {t.name}: {e}")
                    idle[(t.name, k)] = "failed"
        idlez = {}
        for k in opts.idle if "idle-compress" in opts.workloads else []:
            for t in targets:
                if not t.name.startswith("postern"):
                    continue
                try:
                    # A fresh posternd, whose pool has not grown yet, so
                    # that the figure compares with the uncompressed one.
                    t.stop()
                    t.start()
                    idlez[(t.name, k)] = run_idle(t, k, compress=True)
                except (RuntimeError, subprocess.TimeoutExpired) as e:
                    log(f"idle {t.name} COMPRESS: {e}")
                    idlez[(t.name, k)] = "failed"
        storm = {}
        for t in targets if "storm" in opts.workloads else []:
            try:
                storm[t.name] = run_storm(t, opts.storm)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                log(f"storm {t.name}: {e}")
                storm[t.name] = "failed"
        text = table(targets, res, idle, idlez, storm, opts,
                     time.monotonic() - t_start)
        print(text)
        with open(opts.out, "w") as f:
            f.write(text)
        # Every round's figures, for a look at the spread behind a median.
        with open(os.path.splitext(opts.out)[0] + ".json", "w") as f:
            json.dump({"rounds": {f"{w} {n}": v for (w, n), v in
                                  res.items()},
                       "idle_kib": {f"{n} {k}": v for (n, k), v in
                                    idle.items()},
                       "idle_compress_kib": {f"{n} {k}": v for (n, k), v
                                             in idlez.items()},
                       "storm": storm,
                       "breakdown": {f"{n} {k}": v for (n, k), v in
                                     BREAKDOWN.items()}}, f, indent=1)
        log(f"results in {opts.out}; logs in {tmp}" if opts.keep
            else f"results in {opts.out}")
    finally:
        for t in targets:
            t.stop()
        subprocess.run([FIXTURE, "stop", dv], stdout=subprocess.DEVNULL)
        if not opts.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
