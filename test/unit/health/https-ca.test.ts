/**
 * HTTPS targets verify certificates: a self-signed server on 127.0.0.1 is refused with the
 * default trust, accepted when its certificate is given as `caFile`. The CA file is read at
 * workspace load (unreadable or not PEM → a load error at the field), and it reaches the probe
 * Agent and the PowerDNS API Agent.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProbeAgent, httpProbe } from '../../../electron/core/health/http-probe.ts';
import { loadWorkspace, formatIssues } from '../../../electron/core/config/load-workspace.ts';
import { caPemOf } from '../../../electron/core/config/ca-files.ts';
import { PowerDnsProvider } from '../../../electron/core/dns/providers/powerdns.ts';
import { validWorkspaceYaml } from '../config/valid-workspace.ts';

let dir: string;
let server: Server;
let port: number;
let cert: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'standby-ca-'));
  // A self-signed certificate for 127.0.0.1 (subjectAltName IP), made by the openssl CLI.
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' }); // prettier-ignore
  chmodSync(join(dir, 'cert.pem'), 0o644);
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(req.url?.startsWith('/api/') ? '[]' : '{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

test('a self-signed HTTPS health endpoint is refused by default and accepted with its CA', async () => {
  const url = `https://127.0.0.1:${port}/health`;
  const plain = createProbeAgent();
  const trusted = createProbeAgent({ ca: cert });
  try {
    const refused = await httpProbe(url, { dispatcher: plain, timeoutMs: 3000 });
    assert.equal(refused.ok, false);
    assert.match(String(refused.error), /certificate|self[- ]signed/i);
    const ok = await httpProbe(url, { dispatcher: trusted, timeoutMs: 3000 });
    assert.equal(ok.ok, true, String(ok.error));
    assert.equal(ok.status, 200);
  } finally {
    await Promise.all([plain.destroy(), trusted.destroy()]);
  }
});

test('the PowerDNS provider verifies the API certificate and trusts its ca', async () => {
  const base = { name: 'p', apiUrl: `https://127.0.0.1:${port}`, apiKey: 'k', timeoutMs: 3000 };
  const plain = new PowerDnsProvider(base);
  const trusted = new PowerDnsProvider({ ...base, ca: cert });
  try {
    await assert.rejects(plain.getRecordSet('app.lab.test', 'A'), /certificate|self[- ]signed/i);
    // The fake API lists no zones: reaching that answer proves the TLS handshake passed.
    await assert.rejects(trusted.getRecordSet('app.lab.test', 'A'), (e: Error) => !/certificate/i.test(e.message));
  } finally {
    await Promise.all([plain.close(), trusted.close()]);
  }
});

test('caFile is read at load: relative to the workspace, PEM required, unreadable is an error', async () => {
  const ws = join(dir, 'ws.yaml');
  const slot = 'url: "http://127.0.0.2:15301"';
  writeFileSync(ws, validWorkspaceYaml.replace(slot, `url: "https://127.0.0.1:${port}", caFile: cert.pem`), {
    mode: 0o644,
  });
  const r = await loadWorkspace(ws);
  assert.ok(r.ok, r.ok ? '' : formatIssues(r.issues));
  const caFile = r.workspace.environments[0]!.sites[0]!.slots[0]!.caFile!;
  assert.equal(caFile, join(dir, 'cert.pem'));
  assert.equal(caPemOf(caFile), cert);

  writeFileSync(ws, validWorkspaceYaml.replace(slot, `url: "https://x.example", caFile: missing.pem`), { mode: 0o644 });
  const bad = await loadWorkspace(ws);
  assert.equal(bad.ok, false);
  if (!bad.ok)
    assert.match(formatIssues(bad.issues), /slots\[0\]\.caFile: cannot read CA file .*missing\.pem \(ENOENT\)/);

  writeFileSync(join(dir, 'notpem.txt'), 'hello', { mode: 0o644 });
  writeFileSync(ws, validWorkspaceYaml.replace(slot, `url: "https://x.example", caFile: notpem.txt`), { mode: 0o644 });
  const notPem = await loadWorkspace(ws);
  assert.equal(notPem.ok, false);
  if (!notPem.ok) assert.match(formatIssues(notPem.issues), /caFile: .*no PEM certificate/);
});
