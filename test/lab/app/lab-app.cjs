// Lab application: one blue/green slot of one site, backed by that site's PostgreSQL node.
// Runs on the system Node (/usr/bin/node, 20+) as the lab user, started by test/lab/lab-up.sh.
//
//   node lab-app.cjs --site primary --slot blue --version 1.0.0 --host 127.0.0.2 --port 15301 \
//     --pg-host 127.0.0.2 --pg-port 15332 --pg-database app --pg-user postgres \
//     --pg-password-fd 3 | --pg-password-file FILE   --pg-module /abs/node_modules/pg
// Every option can also come from the environment: LAB_APP_SITE, LAB_APP_SLOT, LAB_APP_VERSION,
// LAB_APP_HOST, LAB_APP_PORT, LAB_PG_HOST, LAB_PG_PORT, LAB_PG_DATABASE, LAB_PG_USER,
// LAB_PG_PASSWORD_FD, LAB_PG_PASSWORD_FILE, LAB_PG_PASSWORD, LAB_PG_MODULE.
//
// Endpoints (JSON unless noted; every response carries X-Site, X-Slot, X-App-Version):
//   GET  /health        200 {status:"ok", site, slot, version, dbRole:"primary"|"replica"}
//                       503 {status:"degraded", dbRole:"unreachable", error, ...} (DB role cached ≤ 500 ms)
//   GET  /              text "blue (site primary, version 1.0.0)"
//   GET  /items         [{id, name, created_at}]  (newest 1000, by id)
//   POST /items         {name} → 201 {item, sideEffect:"email-sent"|"suppressed", shadow}
//                       With header `X-Standby-Shadow: 1` the side effect (a row in side_effects,
//                       standing for "send the confirmation email") is NOT performed.
//   GET/PUT/DELETE /items/:id   200 / 200 / 204, 404 when absent
//   GET  /side-effects  {count}
// On a replica (or while the DB is unreachable) writes answer 503 with the PostgreSQL error.
// Binds only --host. SIGTERM/SIGINT exit at once.
'use strict';
const http = require('node:http');
const fs = require('node:fs');

function options() {
  const argv = process.argv.slice(2);
  const a = {};
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i];
    if (!k || !k.startsWith('--') || argv[i + 1] === undefined) throw new Error(`bad argument near "${k}"`);
    a[k.slice(2)] = argv[i + 1];
  }
  const e = process.env;
  const o = {
    site: a.site ?? e.LAB_APP_SITE ?? 'primary',
    slot: a.slot ?? e.LAB_APP_SLOT ?? 'blue',
    version: a.version ?? e.LAB_APP_VERSION ?? '1.0.0',
    host: a.host ?? e.LAB_APP_HOST ?? '127.0.0.2',
    port: Number(a.port ?? e.LAB_APP_PORT ?? 15301),
    pgHost: a['pg-host'] ?? e.LAB_PG_HOST ?? '127.0.0.2',
    pgPort: Number(a['pg-port'] ?? e.LAB_PG_PORT ?? 15332),
    pgDatabase: a['pg-database'] ?? e.LAB_PG_DATABASE ?? 'app',
    pgUser: a['pg-user'] ?? e.LAB_PG_USER ?? 'postgres',
    pgModule: a['pg-module'] ?? e.LAB_PG_MODULE ?? 'pg',
  };
  // Password: an inherited file descriptor (the lab's way: the file stays root-only), a file, or env.
  const fd = a['pg-password-fd'] ?? e.LAB_PG_PASSWORD_FD;
  const file = a['pg-password-file'] ?? e.LAB_PG_PASSWORD_FILE;
  if (fd !== undefined) {
    o.pgPassword = fs.readFileSync(Number(fd), 'utf8').trim();
    fs.closeSync(Number(fd));
  } else if (file !== undefined) {
    o.pgPassword = fs.readFileSync(file, 'utf8').trim();
  } else {
    o.pgPassword = e.LAB_PG_PASSWORD ?? '';
  }
  if (!/^127\.\d+\.\d+\.\d+$|^::1$/.test(o.host)) throw new Error(`--host must be a loopback address, got ${o.host}`);
  return o;
}

const opt = options();
const { Pool } = require(opt.pgModule);
const pool = new Pool({
  host: opt.pgHost,
  port: opt.pgPort,
  database: opt.pgDatabase,
  user: opt.pgUser,
  password: opt.pgPassword,
  max: 5,
  connectionTimeoutMillis: 500, // health must answer within the console's 800 ms probe timeout
  idleTimeoutMillis: 10000,
  query_timeout: 3000,
  application_name: `lab-app ${opt.site}/${opt.slot}`,
});
// An idle pooled client dies when PostgreSQL stops or is promoted/fenced: the pool drops it,
// the next query reconnects. Without a listener the error would crash the process.
pool.on('error', (err) => log(`idle db client error: ${err.message}`));

function log(msg) {
  process.stderr.write(`${new Date().toISOString()} lab-app ${opt.site}/${opt.slot}: ${msg}\n`);
}

// ---- DB role, cached ≤ 500 ms; one query in flight at most.
const ROLE_TTL_MS = 500;
let role = { at: 0, dbRole: 'unreachable', error: 'not checked yet' };
let roleInFlight = null;
function dbRole() {
  if (Date.now() - role.at <= ROLE_TTL_MS) return Promise.resolve(role);
  if (!roleInFlight) {
    roleInFlight = pool
      .query({ text: 'select pg_is_in_recovery() as r', query_timeout: 500 })
      .then(
        (r) => ({ dbRole: r.rows[0].r ? 'replica' : 'primary', error: undefined }),
        (err) => ({ dbRole: 'unreachable', error: err.message }),
      )
      .then((v) => {
        role = { ...v, at: Date.now() };
        roleInFlight = null;
        return role;
      });
  }
  return roleInFlight;
}

// ---- HTTP helpers
function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body) + '\n';
  res.writeHead(status, {
    'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

class HttpError extends Error {
  constructor(status, body) {
    super(body.error);
    this.status = status;
    this.body = body;
  }
}

const MAX_BODY = 64 * 1024;
function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, { error: 'body larger than 64 KiB' }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {});
      } catch {
        reject(new HttpError(400, { error: 'body is not valid JSON' }));
      }
    });
    req.on('error', reject);
  });
}

function itemName(body) {
  const n = body && body.name;
  if (typeof n !== 'string' || n.length === 0 || n.length > 200) {
    throw new HttpError(400, { error: 'name must be a string of 1..200 characters' });
  }
  return n;
}

/** True for errors that leave the connection unusable (socket errors, timeouts, shutdown). */
function isConnError(err) {
  const code = err && err.code;
  return !code || /^E[A-Z]+$/.test(code) || /^(57|08)/.test(code);
}

// PostgreSQL errors → HTTP. SQLSTATE 25006 = read_only_sql_transaction (a replica or a fenced
// primary); class 57/08 and socket errors = the database is not reachable.
function dbError(err) {
  const code = err && err.code;
  const body = { error: err.message, pgCode: code, site: opt.site, slot: opt.slot };
  if (code === '25006') return new HttpError(503, { ...body, error: `database is read-only: ${err.message}` });
  if (isConnError(err) || /^53/.test(code)) return new HttpError(503, { ...body, dbRole: 'unreachable' });
  return new HttpError(500, body);
}

async function q(text, values) {
  try {
    return await pool.query(text, values);
  } catch (err) {
    throw dbError(err);
  }
}

async function createItem(name, shadow) {
  let client;
  try {
    client = await pool.connect();
  } catch (err) {
    throw dbError(err);
  }
  let failure;
  try {
    await client.query('begin');
    const r = await client.query('insert into items(name) values ($1) returning id, name, created_at', [name]);
    const item = r.rows[0];
    if (!shadow) await client.query("insert into side_effects(kind, item_id) values ('email-sent', $1)", [item.id]);
    await client.query('commit');
    return item;
  } catch (err) {
    failure = err;
    await client.query('rollback').catch(() => {});
    throw dbError(err);
  } finally {
    // A failed connection must not go back into the pool.
    client.release(failure && isConnError(failure) ? failure : undefined);
  }
}

async function route(req, res) {
  const url = new URL(req.url, 'http://lab');
  const path = url.pathname;
  const m = /^\/items\/(\d{1,9})$/.exec(path);
  const id = m ? Number(m[1]) : undefined;

  if (path === '/health' && req.method === 'GET') {
    const r = await dbRole();
    const base = { site: opt.site, slot: opt.slot, version: opt.version, dbRole: r.dbRole };
    if (r.dbRole === 'unreachable') return send(res, 503, { status: 'degraded', ...base, error: r.error });
    return send(res, 200, { status: 'ok', ...base });
  }
  if (path === '/' && req.method === 'GET') {
    return send(res, 200, `${opt.slot} (site ${opt.site}, version ${opt.version})\n`);
  }
  if (path === '/items' && req.method === 'GET') {
    const r = await q('select id, name, created_at from items order by id desc limit 1000');
    return send(res, 200, r.rows.reverse());
  }
  if (path === '/items' && req.method === 'POST') {
    const name = itemName(await readJson(req));
    const shadow = req.headers['x-standby-shadow'] === '1';
    const item = await createItem(name, shadow);
    const sideEffect = shadow ? 'suppressed' : 'email-sent';
    return send(res, 201, { item, sideEffect, shadow }, { 'X-Side-Effect': sideEffect });
  }
  if (id !== undefined && req.method === 'GET') {
    const r = await q('select id, name, created_at from items where id = $1', [id]);
    return r.rows[0] ? send(res, 200, r.rows[0]) : send(res, 404, { error: `item ${id} not found` });
  }
  if (id !== undefined && req.method === 'PUT') {
    const name = itemName(await readJson(req));
    const r = await q('update items set name = $2 where id = $1 returning id, name, created_at', [id, name]);
    return r.rows[0] ? send(res, 200, r.rows[0]) : send(res, 404, { error: `item ${id} not found` });
  }
  if (id !== undefined && req.method === 'DELETE') {
    const r = await q('delete from items where id = $1', [id]);
    if (r.rowCount === 0) return send(res, 404, { error: `item ${id} not found` });
    res.writeHead(204);
    return res.end();
  }
  if (path === '/side-effects' && req.method === 'GET') {
    const r = await q('select count(*)::int as count from side_effects');
    return send(res, 200, { count: r.rows[0].count });
  }
  return send(res, 404, { error: `no route for ${req.method} ${path}` });
}

const server = http.createServer((req, res) => {
  res.setHeader('X-Site', opt.site);
  res.setHeader('X-Slot', opt.slot);
  res.setHeader('X-App-Version', opt.version);
  route(req, res).catch((err) => {
    if (res.headersSent) return res.destroy();
    if (err instanceof HttpError) return send(res, err.status, err.body);
    log(`unexpected: ${err.stack || err}`);
    send(res, 500, { error: String(err.message || err) });
  });
});
// Longer than nginx's upstream keepalive_timeout (60 s) so nginx, not the app, closes idle sockets.
server.keepAliveTimeout = 65000;
server.listen(opt.port, opt.host, () => log(`listening on ${opt.host}:${opt.port}, db ${opt.pgHost}:${opt.pgPort}`));
server.on('error', (err) => {
  log(`cannot listen: ${err.message}`);
  process.exit(1);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
