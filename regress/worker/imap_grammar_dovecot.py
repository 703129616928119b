#!/usr/bin/env python3
"""Send the grammar corpus to a real Dovecot and compare its answers with
the grammar's verdicts (imap_grammar_corpus.txt; grammar_test.c runs the same
lines through imap_grammar_check()).

    imap_grammar_dovecot.py PORT CORPUS [USER]

Only the lines whose capability profile is the fixture's own ("dv" after
login, "dvpre" before, maybe with /ENABLED) are sent, each on a fresh
connection brought to its state (LOGIN, SELECT INBOX, ENABLE ...).

A command the grammar passes (OK) that Dovecot answers BAD is a bug: the
grammar is laxer than the server, and the exit status is 1.  A command the
grammar refuses that Dovecot takes is listed as "stricter": acceptable,
but worth knowing.
"""
import re
import socket
import sys

TIMEOUT = 10
LITERAL = re.compile(rb'~?\{(\d+)([+-]?)\}$')


def unescape(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != '\\':
            out += c.encode()
            i += 1
            continue
        i += 1
        c = s[i]
        if c == 'r':
            out += b'\r'
        elif c == 'n':
            out += b'\n'
        elif c == 'x':
            out.append(int(s[i + 1:i + 3], 16))
            i += 2
        else:
            out += c.encode()
        i += 1
    return bytes(out) + b'\r\n'


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(('127.0.0.1', port), TIMEOUT)
        self.f = self.s.makefile('rb')
        self.line()

    def line(self):
        ln = self.f.readline()
        if not ln:
            raise EOFError('connection closed')
        return ln

    def send(self, b):
        self.s.sendall(b)

    def tagged(self, tag, on_plus=None):
        """Read until the tagged answer; its status word (OK/NO/BAD)."""
        t = tag.encode() + b' '
        while True:
            ln = self.line()
            if ln.startswith(t):
                return ln.split(b' ', 2)[1].decode().upper(), ln
            if ln.startswith(b'+') and on_plus is not None:
                on_plus()

    def command(self, tag, data):
        """Send a command, literals and all; its tagged answer."""
        cont = {'idle': False}

        def on_plus():
            # IDLE's "+ idling", or a SASL challenge: end either
            if cont['idle']:
                self.send(b'DONE\r\n')
            else:
                self.send(b'*\r\n')
        first = data.split(b'\r\n', 1)[0].upper().split(b' ')
        cont['idle'] = len(first) > 1 and first[1] == b'IDLE'
        while data:
            end = data.index(b'\r\n') + 2
            seg, data = data[:end], data[end:]
            m = LITERAL.search(seg[:-2])
            if m is None or not data:
                self.send(seg + data)
                return self.tagged(tag, on_plus)
            n = int(m.group(1))
            self.send(seg)
            if m.group(2) == b'':
                ln = self.line()
                while not ln.startswith(b'+'):
                    if ln.startswith(tag.encode() + b' '):
                        return (ln.split(b' ', 2)[1].decode().upper(),
                                ln)
                    ln = self.line()
            self.send(data[:n])
            data = data[n:]
        return self.tagged(tag, on_plus)

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def main():
    port = int(sys.argv[1])
    corpus = sys.argv[2]
    user = sys.argv[3] if len(sys.argv) > 3 else 'testuser'
    laxer, stricter, sent = [], [], 0
    for lineno, raw in enumerate(open(corpus, encoding='utf-8'), 1):
        raw = raw.rstrip('\n')
        if not raw or raw.startswith('#') or raw.startswith('@'):
            continue
        verdict, state, caps, cmd = re.split(r'[ \t]+', raw, 3)
        prof, _, enabled = caps.partition('/')
        if prof not in ('dv', 'dvpre') or state not in 'NAS':
            continue
        data = unescape(cmd)
        tag = cmd.split(' ', 1)[0]
        c = Conn(port)
        try:
            if state in 'AS':
                st, ln = c.command('p1', b'p1 LOGIN %s testpass\r\n' %
                                   user.encode())
                assert st == 'OK', ln
            if enabled:
                c.command('p2', b'p2 ENABLE %s\r\n' %
                          enabled.replace(',', ' ').encode())
            if state == 'S':
                st, ln = c.command('p3', b'p3 SELECT INBOX\r\n')
                assert st == 'OK', ln
            st, ln = c.command(tag, data)
        except (EOFError, OSError) as e:
            st, ln = 'EOF', str(e).encode()
        finally:
            c.close()
        sent += 1
        answer = ln.decode('utf-8', 'replace').rstrip()
        if verdict == 'OK' and st in ('BAD', 'EOF'):
            laxer.append('%d: %s\n    -> %s' % (lineno, cmd, answer))
        elif verdict != 'OK' and st not in ('BAD', 'EOF'):
            stricter.append('%d: %s [%s]\n    -> %s' %
                            (lineno, cmd, verdict, answer))
    print('%d commands sent to Dovecot' % sent)
    print('stricter than Dovecot (the grammar refuses, Dovecot takes): '
          '%d' % len(stricter))
    for s in stricter:
        print('  ' + s)
    print('LAXER than Dovecot (the grammar passes, Dovecot says BAD): '
          '%d' % len(laxer))
    for s in laxer:
        print('  ' + s)
    return 1 if laxer else 0


if __name__ == '__main__':
    sys.exit(main())
