#!/usr/bin/python3
# A test double of postern-worker for the master's pool tests: it speaks
# the master's side of shared/proto_worker.h and nothing else.  It is no
# proxy: it greets each client with what it was given, so a test can see
# which worker got which session and whether the upstream socket works.
#
# FAKE_MODE (environment, set by the wrapper pool_test.sh names as worker):
#   ok       greet, close, report the session ended; repeat
#   hold     greet, then keep the session until MSG_SHUTDOWN and send
#            "* BYE <text>" to the client
#   eof      greet, keep the session until the client closes, report it
#            ended; repeat (MSG_SHUTDOWN meanwhile: as hold)
#   sigsys   kill itself with SIGSYS right after MSG_READY
#   noready  never send MSG_READY
import os
import select
import signal
import socket
import struct
import sys

MSG_LOG, MSG_READY, MSG_SHUTDOWN = 1, 2, 3
MSG_W_CONFIG, MSG_W_SESSION, MSG_W_UPSTREAM = 100, 101, 102
MSG_W_TLS = 123
MSG_W_SESSION_END = 110
HDR = struct.Struct("=5I")		# type, len, flags, peerid, pid
# shared/proto_worker.h: the start of it; fields are added at its end.
CONFIG = struct.Struct("=16I32s256s")
SESSION = struct.Struct("=QIIHHHH32s64s64s64s")
UPSTREAM = struct.Struct("=QiI")
END = struct.Struct("=QQQQQII")

mode = os.environ.get("FAKE_MODE", "ok")
chan = socket.socket(fileno=3)
fds = []


def recv_exact(n):
	buf = b""
	while len(buf) < n:
		data, anc, _, _ = chan.recvmsg(n - len(buf), socket.CMSG_SPACE(4))
		if not data:
			os._exit(0)	# the master is gone
		for level, kind, d in anc:
			if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
				fds.extend(struct.unpack("%di" % (len(d) // 4),
				    d[:len(d) // 4 * 4]))
		buf += data
	return buf


def get(want):
	kind, length, flags, _, _ = HDR.unpack(recv_exact(HDR.size))
	body = recv_exact(length) if length else b""
	fd = fds.pop(0) if flags & 1 else -1
	if kind not in want:
		log("unexpected message %d" % kind, 3)
		os._exit(1)
	return kind, body, fd


def send(kind, body=b""):
	chan.sendall(HDR.pack(kind, len(body), 0, 0, os.getpid()) + body)


def log(text, prio=6):
	send(MSG_LOG, struct.pack("=I", prio) + text.encode())


def cstr(b):
	return b.split(b"\0")[0].decode()


def upstream_says(fd, err):
	if fd == -1:
		return "error %d" % err
	up = socket.socket(fileno=fd)
	try:
		_, w, _ = select.select([], [up], [], 5)
		if not w:
			return "timeout"
		err = up.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
		if err:
			return "error %d" % err
		r, _, _ = select.select([up], [], [], 5)
		if not r:
			return "silent"
		return up.recv(200).decode().strip()
	finally:
		up.close()


_, body, _ = get([MSG_W_CONFIG])
# proto_tls.h: the TLS slice always follows; a fake listener has no TLS.
get([MSG_W_TLS])
cfg = CONFIG.unpack_from(body)
slot, listener = cfg[0], cstr(cfg[16])
log("fake worker slot %d of %s, idle timeout %d" % (slot, listener, cfg[11]))
if mode == "noready":
	signal.pause()
send(MSG_READY)
if mode == "sigsys":
	os.kill(os.getpid(), signal.SIGSYS)
while True:
	kind, body, fd = get([MSG_W_SESSION, MSG_SHUTDOWN])
	if kind == MSG_SHUTDOWN:
		os._exit(0)
	s = SESSION.unpack_from(body)
	sid = s[0]
	client = socket.socket(fileno=fd)
	_, body, upfd = get([MSG_W_UPSTREAM])
	up = UPSTREAM.unpack(body)
	if up[0] != sid:
		log("upstream for session %d, not %d" % (up[0], sid), 3)
		os._exit(1)
	said = upstream_says(upfd, up[1])
	client.setblocking(True)
	client.sendall(b"* OK fake slot %d listener %s session %d from %s "
	    b"upstream [%s]\r\n" % (slot, cstr(s[7]).encode(), sid,
	    cstr(s[8]).encode(), said.encode()))
	if mode == "eof":
		# What the client sends is dropped; the master's word wins.
		r = []
		while chan not in r:
			r, _, _ = select.select([client, chan], [], [])
			if client in r and client.recv(512) == b"":
				break
		if chan not in r:
			client.close()
			send(MSG_W_SESSION_END, END.pack(sid, 0, 0, 0, 0, 0, 0))
			continue
	if mode in ("hold", "eof"):
		_, body, _ = get([MSG_SHUTDOWN])
		client.sendall(b"* BYE %s\r\n" % cstr(body).encode())
		client.close()
		os._exit(0)
	client.close()
	send(MSG_W_SESSION_END, END.pack(sid, 0, 0, 0, 0, 0, 0))
