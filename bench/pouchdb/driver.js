// driver.js: the PouchDB side of the Kenesh sync benchmark (issue #3).
//
// The Go command desktop/internal/cmd/syncbench starts pouchdb-server and
// this script, then sends it one JSON command per line on stdin; each gets
// one JSON answer per line on stdout ({"ok":true,...} or {"ok":false,
// "error":"..."}). Local databases live in memory (pouchdb-adapter-memory)
// for the life of the process, as a laptop's PouchDB would between syncs.
//
// Remote URLs point at a byte-counting, link-emulating proxy in front of
// pouchdb-server, so bytes on the wire are counted exactly as Kenesh's are.
'use strict';

const http = require('http');
const fs = require('fs');
const readline = require('readline');
const crypto = require('crypto');
const PouchDB = require('pouchdb').plugin(require('pouchdb-adapter-memory'));

const local = new Map(); // name -> PouchDB (memory)

function db(name) {
  let d = local.get(name);
  if (!d) {
    d = new PouchDB(name, { adapter: 'memory' });
    local.set(name, d);
  }
  return d;
}

// remote opens the server database at url with its own HTTP agent (so a
// replication pays for its own connection set-up, as a laptop waking up
// does) and counts the HTTP requests it makes.
function remote(url) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const counter = { requests: 0 };
  const r = new PouchDB(url, {
    skip_setup: true,
    fetch: (u, opts) => {
      counter.requests++;
      opts = opts || {};
      opts.agent = agent;
      return PouchDB.fetch(u, opts);
    },
  });
  return { db: r, counter, close: () => { agent.destroy(); return r.close(); } };
}

function readLines(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l));
}

// revHash makes a revision id as PouchDB's own (32 hex digits, an MD5).
function revHash(id, n) {
  return crypto.createHash('md5').update(id + '/' + n).digest('hex');
}

// load stores documents that were edited `revs` times on this laptop: each
// carries a revision history of that length, as if made by `revs` saves,
// so replication sends the same _revisions a real history would.
async function load(cmd) {
  const d = db(cmd.db);
  const items = readLines(cmd.file);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < items.length; i += 1000) {
    const docs = items.slice(i, i + 1000).map(({ doc, revs }) => {
      const n = Math.max(1, revs | 0);
      const ids = [];
      for (let k = n; k >= 1; k--) ids.push(revHash(doc._id, k));
      return Object.assign({}, doc, { _rev: n + '-' + ids[0], _revisions: { start: n, ids } });
    });
    const res = await d.bulkDocs(docs, { new_edits: false });
    for (const r of res) if (r.error) throw new Error('load ' + r.id + ': ' + r.reason);
  }
  return { count: items.length, seconds: secondsSince(t0) };
}

// put saves documents as a person's edits: a new revision of an existing
// document, or a new document.
async function put(cmd) {
  const d = db(cmd.db);
  const docs = readLines(cmd.file);
  const ids = docs.map((x) => x._id);
  const cur = await d.allDocs({ keys: ids });
  const revs = new Map();
  for (const row of cur.rows) if (row.value && !row.value.deleted) revs.set(row.id, row.value.rev);
  for (const doc of docs) {
    const next = Object.assign({}, doc);
    if (revs.has(doc._id)) next._rev = revs.get(doc._id);
    await d.put(next);
  }
  return { count: docs.length };
}

function secondsSince(t0) {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

// replicate runs one one-shot replication (push, pull, or sync: both at
// once, as PouchDB.sync does) and says what it did.
async function replicate(cmd) {
  const d = db(cmd.db);
  const r = remote(cmd.remote);
  const opts = {};
  if (cmd.batch_size) opts.batch_size = cmd.batch_size;
  if (cmd.batches_limit) opts.batches_limit = cmd.batches_limit;
  const t0 = process.hrtime.bigint();
  let res;
  try {
    switch (cmd.dir) {
      case 'push': res = await PouchDB.replicate(d, r.db, opts); break;
      case 'pull': res = await PouchDB.replicate(r.db, d, opts); break;
      case 'sync': res = await PouchDB.sync(d, r.db, opts); break;
      default: throw new Error('unknown direction ' + cmd.dir);
    }
  } finally {
    await r.close();
  }
  const seconds = secondsSince(t0);
  const parts = cmd.dir === 'sync' ? [res.push, res.pull] : [res];
  const out = { seconds, requests: r.counter.requests, docs_read: 0, docs_written: 0, doc_write_failures: 0 };
  for (const p of parts) {
    if (!p.ok || (p.errors && p.errors.length)) throw new Error('replication failed: ' + JSON.stringify(p.errors || p));
    out.docs_read += p.docs_read;
    out.docs_written += p.docs_written;
    out.doc_write_failures += p.doc_write_failures;
  }
  if (out.doc_write_failures) throw new Error(out.doc_write_failures + ' documents failed to replicate');
  return out;
}

// verify compares every document of a local database with the server's
// copy (content and revision), reading the server directly.
async function verify(cmd) {
  const d = db(cmd.db);
  const r = remote(cmd.remote);
  try {
    const mine = await d.allDocs({ include_docs: true });
    let missing = 0, differ = 0, checked = 0;
    const example = [];
    for (let i = 0; i < mine.rows.length; i += 2000) {
      const rows = mine.rows.slice(i, i + 2000);
      const theirs = await r.db.allDocs({ keys: rows.map((x) => x.id), include_docs: true });
      theirs.rows.forEach((t, j) => {
        checked++;
        if (!t.doc) { missing++; if (example.length < 3) example.push('missing ' + rows[j].id); return; }
        if (JSON.stringify(t.doc) !== JSON.stringify(rows[j].doc)) {
          differ++;
          if (example.length < 3) example.push('differs ' + rows[j].id);
        }
      });
    }
    const info = await r.db.info();
    return { local: mine.rows.length, remote: info.doc_count, checked, missing, differ, example };
  } finally {
    await r.close();
  }
}

async function createRemote(cmd) {
  // Without skip_setup, PouchDB creates the database on first use.
  const r = new PouchDB(cmd.remote);
  try {
    await r.info();
  } finally {
    await r.close();
  }
  return {};
}

const handlers = { load, put, replicate, verify, create: createRemote };

async function main() {
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let cmd;
    try {
      cmd = JSON.parse(line);
    } catch (e) {
      process.stdout.write(JSON.stringify({ ok: false, error: 'bad command: ' + e.message }) + '\n');
      continue;
    }
    if (cmd.op === 'quit') break;
    const h = handlers[cmd.op];
    try {
      if (!h) throw new Error('unknown op ' + cmd.op);
      const res = await h(cmd);
      process.stdout.write(JSON.stringify(Object.assign({ ok: true }, res)) + '\n');
    } catch (e) {
      process.stdout.write(JSON.stringify({ ok: false, error: String((e && (e.stack || e.message)) || e) }) + '\n');
    }
  }
  for (const d of local.values()) await d.close();
}

main().catch((e) => {
  process.stderr.write(String(e.stack || e) + '\n');
  process.exit(1);
});
