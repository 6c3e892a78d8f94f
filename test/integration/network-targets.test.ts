/**
 * A real lab workspace rewritten to name its targets instead of giving 127.0.0.1: the PowerDNS
 * API URL becomes `http://localhost:PORT`, the BIND server `localhost:PORT`, and the
 * nameservers this machine's host name when it resolves to 127.0.0.1 (so the lookup at query
 * time is real), else `localhost`. No lab service listens on ::1, so IPv6 is not exercised here
 * (unit tests cover the bracketed forms). `validate` accepts it and `standby status` reads it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { labAvailable, startLab, type Lab } from '../lab/lab.ts';

const bin = resolve('bin/standby');
const avail = labAvailable();
const skip = avail.ok ? false : `lab not available: ${avail.reason}`;
if (skip) console.log(`# skipping lab tests: ${skip}`);

let lab: Lab | null = null;
let nsName = 'localhost';

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: 21300 });
  const h = hostname();
  const found = await lookup(h, { family: 4 }).catch(() => null);
  if (found?.address === '127.0.0.1') nsName = h;
  else console.log(`# ${h} does not resolve to 127.0.0.1: nameservers use "localhost"`);
});
after(async () => {
  await lab?.stop();
});

function run(args: string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      done({ code, stdout, stderr });
    });
  });
}

test('a lab workspace using host names validates and standby status reads it', { skip }, async () => {
  const original = readFileSync(lab!.workspacePath, 'utf8');
  let text = original.replace(/http:\/\/127\.0\.0\.1:/g, 'http://localhost:');
  text = text.replace(
    /nameservers: \[([^\]]*)\]/g,
    (_m, list: string) => `nameservers: [${list.replace(/127\.0\.0\.1:/g, `${nsName}:`)}]`,
  );
  text = text.replace(/server: "?127\.0\.0\.1:(\d+)"?/g, 'server: "localhost:$1"');
  assert.notEqual(text, original, 'the lab workspace names 127.0.0.1 targets');
  assert.ok(!/nameservers: \[[^\]]*127\.0\.0\.1/.test(text), 'every nameserver rewritten');
  const ws = join(lab!.dir, 'workspace-names.yaml');
  writeFileSync(ws, text, { mode: 0o644 });

  const v = await run(['validate', '--workspace', ws]);
  assert.equal(v.code, 0, v.stderr + v.stdout);

  const r = await run(['status', '--workspace', ws, '--json']);
  assert.equal(r.code, 0, r.stderr + r.stdout.slice(0, 2000));
  const snap = JSON.parse(r.stdout) as {
    activeSite: string;
    dns: { providers: { provider: string; served: Record<string, { state: string; server?: string }> }[] }[];
  };
  assert.equal(snap.activeSite, 'primary');
  const served = snap.dns.flatMap((d) => d.providers.flatMap((p) => Object.entries(p.served)));
  assert.ok(served.length > 0);
  for (const [ns, a] of served) {
    assert.equal(a.state, 'ok', `${ns} answered`);
    if (nsName !== 'localhost') assert.equal(a.server, `${ns.replace(/:\d+$/, '')} (127.0.0.1):${ns.split(':')[1]}`);
  }
  const text2 = await run(['status', '--workspace', ws]);
  assert.equal(text2.code, 0, text2.stderr);
  if (nsName !== 'localhost') assert.match(text2.stdout, new RegExp(`${nsName} \\(127\\.0\\.0\\.1\\):\\d+`));
});
