import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIssues } from '../../../electron/core/config/load-workspace.ts';
import { loadRunbook, parseRunbook } from '../../../electron/core/runbooks/load-runbook.ts';
import { createStepRegistry } from '../../../electron/core/runbooks/step-registry.ts';
import { World, fakeApprovalKind, fakeSetKind } from './fakes.ts';

const registry = createStepRegistry([fakeSetKind(new World()), fakeApprovalKind]);
const yaml = `version: 1
name: switchover
description: planned move
kind: switchover
steps:
  - id: lower-ttl
    kind: fake.set
    title: Lower the TTL
    params:
      key: ttl
      value: "5"
    timeoutMs: 30000
    retry: { attempts: 3, backoffMs: 200 }
    rollback:
      kind: fake.set
      params: { key: ttl, value: "30" }
  - id: ok-to-go
    kind: fake.approval
`;
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

test('a valid runbook loads with the kind parsing its params (defaults filled in)', () => {
  const r = parseRunbook(yaml, 'rb.yaml', registry);
  assert.equal(r.ok, true, r.ok ? '' : formatIssues(r.issues));
  if (!r.ok) return;
  assert.equal(r.runbook.kind, 'switchover');
  assert.equal(r.runbook.onFailure, 'pause');
  assert.deepEqual(r.runbook.steps[0]!.params, {
    key: 'ttl',
    value: '5',
    effects: [],
    actMs: 0,
    failKind: 'unreachable',
    verifyFails: false,
  });
  assert.equal(r.runbook.steps[0]!.rollback?.params.actMs, 0, 'rollback params are parsed by their kind too');
  assert.deepEqual(r.runbook.steps[1]!.params, { note: '' });
  assert.equal(r.runbook.steps[1]!.continueOnError, false);
});

test('a bad param is reported by the step kind at its own line, under steps[i].params', () => {
  const bad = yaml.replace('      value: "5"', '      value: 5');
  const r = parseRunbook(bad, 'rb.yaml', registry);
  assert.equal(r.ok, false);
  if (r.ok) return;
  const issue = r.issues.find((i) => i.field === 'steps[0].params.value');
  assert.ok(issue, formatIssues(r.issues));
  assert.equal(issue.line, lineOf(bad, 'value: 5'));
  assert.equal(issue.file, 'rb.yaml');
  assert.match(issue.hint, /string/);
});

test('an unknown param field and an unknown step field are located and named', () => {
  const bad = yaml
    .replace('      key: ttl', '      key: ttl\n      kee: typo')
    .replace('    timeoutMs: 30000', '    timeoutMs: 30000\n    timout: 5');
  const r = parseRunbook(bad, 'rb.yaml', registry);
  assert.equal(r.ok, false);
  if (r.ok) return;
  // The runbook schema fails first (unknown step field); params are checked once it passes.
  const step = r.issues.find((i) => i.field === 'steps[0].timout');
  assert.ok(step, formatIssues(r.issues));
  assert.equal(step.line, lineOf(bad, 'timout'));
  const fixed = parseRunbook(bad.replace('    timout: 5\n', ''), 'rb.yaml', registry);
  assert.equal(fixed.ok, false);
  if (fixed.ok) return;
  const param = fixed.issues.find((i) => i.field === 'steps[0].params.kee');
  assert.ok(param, formatIssues(fixed.issues));
  assert.equal(param.line, lineOf(bad, 'kee: typo'));
  assert.match(param.message, /unknown field "kee"/);
});

test('an unknown step kind names the registered kinds', () => {
  const bad = yaml.replace('    kind: fake.approval', '    kind: dns.set-recods');
  const r = parseRunbook(bad, 'rb.yaml', registry);
  assert.equal(r.ok, false);
  if (r.ok) return;
  const issue = r.issues.find((i) => i.field === 'steps[1].kind');
  assert.ok(issue, formatIssues(r.issues));
  assert.equal(issue.line, lineOf(bad, 'dns.set-recods'));
  assert.match(issue.hint, /fake\.approval, fake\.set/);
});

test('duplicate step ids, bad rollback params and a bad runbook kind are all reported', () => {
  const bad = yaml
    .replace('  - id: ok-to-go', '  - id: lower-ttl')
    .replace('params: { key: ttl, value: "30" }', 'params: { key: ttl }');
  const r = parseRunbook(bad, 'rb.yaml', registry);
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.ok(
    r.issues.some((i) => i.field === 'steps[1].id' && /duplicate/.test(i.message)),
    formatIssues(r.issues),
  );
  assert.ok(
    r.issues.some((i) => i.field === 'steps[0].rollback.params.value'),
    formatIssues(r.issues),
  );
  const k = parseRunbook(yaml.replace('kind: switchover', 'kind: failovr'), 'rb.yaml', registry);
  assert.equal(k.ok, false);
  if (!k.ok) assert.match(k.issues[0]!.hint, /"failover"/);
});

test('YAML syntax errors and a missing file are issues, not exceptions', async () => {
  const r = parseRunbook('version: 1\nsteps: [unclosed\n', 'rb.yaml', registry);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.issues[0]!.field, '(syntax)');
  const m = await loadRunbook('/nonexistent/rb.yaml', registry);
  assert.equal(m.ok, false);
  if (!m.ok) assert.match(m.issues[0]!.message, /ENOENT/);
});
