// One imapflow session, printed as JSON lines so two runs can be compared.
//   node flow.js PORT [HIDE]
// FLOW_LOGIN=LOGIN in the environment: LOGIN rather than AUTHENTICATE
// PLAIN (with SASL-IR when offered, imapflow's choice).
// list (minus mailboxes starting with HIDE), fetch every INBOX message
// (flags, size, sha256 of the source), append, IDLE until the EXISTS an
// append from a second connection causes, move a message to Archive,
// status of Archive.  Every wait is bounded; exit 1 on any error.
'use strict';
const { ImapFlow } = require('imapflow');
const crypto = require('crypto');

const port = Number(process.argv[2]);
const hide = process.argv[3];
const out = [];
const say = (...a) => out.push(JSON.stringify(a));
const sha = b => crypto.createHash('sha256').update(b).digest('hex');
const client = () => new ImapFlow({
    host: '127.0.0.1', port, secure: false, doSTARTTLS: false,
    auth: { user: 'testuser', pass: 'testpass',
        loginMethod: process.env.FLOW_LOGIN || undefined }, logger: false,
    connectionTimeout: 10000, greetingTimeout: 10000, socketTimeout: 30000
});
const within = (ms, what, p) => Promise.race([p, new Promise((_, rej) =>
    setTimeout(() => rej(new Error(what + ': nothing within ' + ms + ' ms')), ms))]);
const msg = n => Buffer.from('From: imapflow <imapflow@postern.test>\r\n' +
    'Subject: imapflow ' + n + '\r\nMessage-ID: <flow-' + n + '@postern.test>\r\n\r\n' +
    'appended by imapflow, ' + n + '\r\n');

async function main() {
    const c = client();
    await within(15000, 'connect', c.connect());
    const boxes = (await c.list()).filter(b => !(hide && b.path.startsWith(hide)));
    for (const b of boxes.sort((x, y) => x.path < y.path ? -1 : 1))
        say('LIST', b.path, b.delimiter, [...b.flags].sort(), b.specialUse || '');
    const lock = await c.getMailboxLock('INBOX');
    try {
        for await (const m of c.fetch('1:*', { uid: true, flags: true, size: true, source: true }))
            say('FETCH', m.seq, m.uid, [...m.flags].sort(), m.size, sha(m.source));
        const a = await c.append('INBOX', msg(1), ['\\Seen']);
        say('APPEND', a.uid !== undefined);
        // IDLE, and an append from elsewhere: the EXISTS must reach us
        const exists = new Promise(res => c.on('exists', d => res(d)));
        const idle = c.idle();
        await within(10000, 'IDLE start', (async () => {
            while (!c.idling) await new Promise(r => setTimeout(r, 20));
        })());
        const o = client();
        await within(15000, 'second connect', o.connect());
        await o.append('INBOX', msg(2));
        await o.logout();
        const e = await within(15000, 'EXISTS while idling', exists);
        say('EXISTS', e.count, e.prevCount);
        const mv = await c.messageMove('1', 'Archive');
        say('MOVE', mv.destination, mv.uidMap ? mv.uidMap.size : 0);
        await idle.catch(() => {});
    } finally {
        lock.release();
    }
    const st = await c.status('Archive', { messages: true, unseen: true });
    say('STATUS', st.path, st.messages, st.unseen);
    await c.logout();
}

main().then(() => { console.log(out.join('\n')); process.exit(0); },
    err => { console.log(out.join('\n')); console.error('imapflow:', err.message || err); process.exit(1); });
