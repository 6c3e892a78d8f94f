import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWorkspace, formatIssues } from '../../../electron/core/config/load-workspace.ts';
import { validWorkspaceYaml } from './valid-workspace.ts';

test('a valid workspace loads with defaults filled in and the store path made absolute', () => {
  const r = parseWorkspace(validWorkspaceYaml, '/srv/ws/workspace.yaml');
  assert.equal(r.ok, true, r.ok ? '' : formatIssues(r.issues));
  if (!r.ok) return;
  const env = r.workspace.environments[0]!;
  assert.equal(env.probes.intervalMs, 1000);
  assert.equal(env.sites[0]!.ssh.port, 2222);
  assert.equal(r.workspace.store.path, '/srv/ws/.standby/standby.sqlite');
});

test('bad YAML names the file and line and does not throw', () => {
  const r = parseWorkspace('version: 1\nenvironments:\n  - name: [unclosed\n', 'ws.yaml');
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.issues[0]!.file, 'ws.yaml');
  assert.ok(r.issues[0]!.line >= 3, `line ${r.issues[0]!.line}`);
  assert.match(r.issues[0]!.message, /YAML syntax error/);
});

test('an unknown field is reported at its own line with the field path and a fix', () => {
  const yaml = validWorkspaceYaml.replace('    zone: lab.test', '    zone: lab.test\n    zoen: typo');
  const r = parseWorkspace(yaml, 'ws.yaml');
  assert.equal(r.ok, false);
  if (r.ok) return;
  const issue = r.issues.find((i) => i.field === 'environments[0].zoen');
  assert.ok(issue, formatIssues(r.issues));
  const lineOfTypo = yaml.split('\n').findIndex((l) => l.includes('zoen')) + 1;
  assert.equal(issue.line, lineOfTypo);
  assert.match(issue.message, /unknown field "zoen"/);
  assert.match(issue.hint, /remove or rename/);
});

test('a wrong type is reported at the value with the expected type', () => {
  const yaml = validWorkspaceYaml.replace('rpoSeconds: 5', 'rpoSeconds: "five"');
  const r = parseWorkspace(yaml, 'ws.yaml');
  assert.equal(r.ok, false);
  if (r.ok) return;
  const issue = r.issues.find((i) => i.field === 'environments[0].objectives.rpoSeconds');
  assert.ok(issue, formatIssues(r.issues));
  assert.equal(issue.line, yaml.split('\n').findIndex((l) => l.includes('"five"')) + 1);
  assert.match(issue.hint, /number/);
});

test('inline secrets are rejected: credentials must be references', () => {
  const yaml = validWorkspaceYaml.replace('apiKey: { env: PDNS_API_KEY }', 'apiKey: "s3cret"');
  const r = parseWorkspace(yaml, 'ws.yaml');
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.ok(
    r.issues.some((i) => i.field.endsWith('apiKey') && /env: NAME/.test(i.hint)),
    formatIssues(r.issues),
  );
});

test('non-loopback targets are accepted; a key over plain http to one is refused', () => {
  const ok = parseWorkspace(validWorkspaceYaml.replace('http://127.0.0.2:15301', 'http://10.1.2.3:15301'), 'ws.yaml');
  assert.equal(ok.ok, true, ok.ok ? '' : formatIssues(ok.issues));
  const r = parseWorkspace(validWorkspaceYaml.replace('http://127.0.0.1:15381', 'http://10.1.2.3:15381'), 'ws.yaml');
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.ok(
    r.issues.some((i) => /plain http/.test(i.message)),
    formatIssues(r.issues),
  );
});

test('a record value for a site that does not exist is caught with the site list', () => {
  const yaml = validWorkspaceYaml.replace('failover: 127.0.0.3', 'failovr: 127.0.0.3');
  const r = parseWorkspace(yaml, 'ws.yaml');
  assert.equal(r.ok, false);
  if (r.ok) return;
  const issue = r.issues.find((i) => i.field.endsWith('values.failovr'));
  assert.ok(issue, formatIssues(r.issues));
  assert.match(issue.hint, /primary, failover/);
});

test('a record outside its zone is refused, also when the name merely ends with the zone text', () => {
  for (const name of ['applab.test', 'app.other.test']) {
    const r = parseWorkspace(validWorkspaceYaml.replace('- name: app.lab.test', `- name: ${name}`), 'ws.yaml');
    assert.equal(r.ok, false, name);
    if (!r.ok) assert.match(formatIssues(r.issues), /records\[0\]\.name: record is not inside zone "lab\.test"/);
  }
  for (const name of ['lab.test', 'www.app.lab.test'])
    assert.equal(
      parseWorkspace(validWorkspaceYaml.replace('- name: app.lab.test', `- name: ${name}`), 'ws.yaml').ok,
      true,
      name,
    );
});
