/**
 * Runbooks checked against the workspace and loaded one file at a time: a misspelled step kind
 * or a name that is in no environment is an issue at its line; an alias bomb, too many aliases
 * or an oversized file in one runbook leave the other runbooks listed and plannable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatIssues, parseWorkspace } from '../../../electron/core/config/load-workspace.ts';
import { yamlLimits } from '../../../electron/core/config/yaml-source.ts';
import type { Workspace } from '../../../electron/core/config/workspace-schema.ts';
import type { EnvironmentServices } from '../../../electron/core/environment/environment-services.ts';
import { createBuiltinStepRegistry } from '../../../electron/core/runbooks/builtin-steps.ts';
import { closest, loadRunbooksDir, parseRunbook } from '../../../electron/core/runbooks/load-runbook.ts';
import { RunService } from '../../../electron/core/runbooks/run-service.ts';
import { openStore } from '../../../electron/core/store/open-store.ts';
import { validWorkspaceYaml } from '../config/valid-workspace.ts';
import { labSnapshot } from './fakes.ts';
import { aliasBombYaml, manyAliasesYaml } from '../config/yaml-fixtures.ts';

const workspace = (() => {
  const r = parseWorkspace(validWorkspaceYaml, '/w/workspace.yaml');
  assert.ok(r.ok, r.ok ? '' : formatIssues(r.issues));
  return r.workspace;
})();
const environments = workspace.environments;
const registry = createBuiltinStepRegistry();
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

const good = `version: 1
name: good
kind: custom
steps:
  - id: fence
    kind: db.fence
    params: { node: pg-primary }
  - id: point
    kind: dns.set-records
    params: { record: APP.lab.test., site: failover }
  - id: gate
    kind: http.await-healthy
    params: { site: primary, slot: green }
  - id: pause
    kind: wait
    params: { seconds: 1 }
`;

test('the names a runbook uses are checked against the environments (records without case or final dot)', () => {
  const r = parseRunbook(good, 'good.yaml', registry, { environments });
  assert.equal(r.ok, true, r.ok ? '' : formatIssues(r.issues));
  assert.equal(parseRunbook(good, 'good.yaml', registry).ok, true, 'no environments given: names are not checked');
});

test('an unknown node, site, record and slot are each reported at their line with the names that exist', () => {
  const bad = good
    .replace('node: pg-primary', 'node: pg-primry')
    .replace('site: failover', 'site: nowhere')
    .replace('record: APP.lab.test.', 'record: www.lab.test')
    .replace('slot: green', 'slot: red');
  const r = parseRunbook(bad, '/rb/bad.yaml', registry, { environments });
  assert.equal(r.ok, false);
  if (r.ok) return;
  const text = formatIssues(r.issues);
  assert.equal(r.issues.length, 4, text);
  const at = (field: string) => r.issues.find((i) => i.field === field);
  const node = at('steps[0].params.node');
  assert.ok(node, text);
  assert.equal(node.line, lineOf(bad, 'pg-primry'));
  assert.equal(node.file, '/rb/bad.yaml');
  assert.match(
    node.message,
    /database node "pg-primry" does not exist in environment lab \(did you mean "pg-primary"\?\)/,
  );
  assert.match(node.hint, /use one of: pg-primary/);
  assert.equal(at('steps[1].params.record')?.line, lineOf(bad, 'www.lab.test'));
  assert.match(at('steps[1].params.site')!.message, /site "nowhere"/);
  assert.match(at('steps[2].params.slot')!.message, /slot "red" of site "primary"/);
  assert.match(text, /^\/rb\/bad\.yaml:7:\d+ steps\[0\]\.params\.node: .*\. Fix: use one of: pg-primary$/m);
});

test('a misspelled step kind is located, with the nearest kind suggested', () => {
  const bad = good.replace('kind: db.fence', 'kind: db.fense');
  const r = parseRunbook(bad, 'rb.yaml', registry, { environments });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.issues.length, 1, formatIssues(r.issues));
  assert.equal(r.issues[0]!.line, lineOf(bad, 'db.fense'));
  assert.equal(r.issues[0]!.field, 'steps[0].kind');
  assert.match(r.issues[0]!.message, /unknown step kind "db.fense" \(did you mean "db.fence"\?\)/);
  assert.equal(closest('reboot-everything', registry.names()), null, 'nothing far is suggested');
});

test('a rollback names are checked too', () => {
  const bad = good.replace(
    '    params: { node: pg-primary }\n',
    '    params: { node: pg-primary }\n    rollback: { kind: db.promote, params: { node: pg-nope } }\n',
  );
  const r = parseRunbook(bad, 'rb.yaml', registry, { environments });
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.issues[0]!.field, 'steps[0].rollback.params.node');
});

const pause = `version: 1
name: pause
kind: custom
steps:
  - { id: pause, kind: wait, params: { seconds: 1 } }
`;

/** A runbooks folder with `good.yaml`, `pause.yaml` and the given bad files. */
function folder(bad: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-runbooks-'));
  writeFileSync(join(dir, 'good.yaml'), good);
  writeFileSync(join(dir, 'pause.yaml'), pause);
  for (const [name, text] of Object.entries(bad)) writeFileSync(join(dir, name), text);
  return dir;
}

const badFiles = {
  'bomb.yaml': `${good.replace('name: good', 'name: bomb')}x-bomb:\n${aliasBombYaml.replace(/^/gm, '  ')}`,
  'many.yaml': `${good.replace('name: good', 'name: many')}x-many:\n${manyAliasesYaml(101).replace(/^/gm, '  ')}`,
  'huge.yaml': `${good.replace('name: good', 'name: huge')}description: "${'x'.repeat(yamlLimits.maxBytes)}"\n`,
  'typo.yaml': good.replace('name: good', 'name: typo').replace('kind: wait', 'kind: wiat'),
};

test('each bad file of a runbooks folder is an entry with its located issue; the good one loads', async () => {
  const dir = folder(badFiles);
  try {
    const files = await loadRunbooksDir(dir, registry, { environments });
    assert.ok(files);
    const byStem = new Map(files.map((f) => [f.stem, f.result]));
    assert.deepEqual([...byStem.keys()], ['bomb', 'good', 'huge', 'many', 'pause', 'typo']);
    assert.equal(byStem.get('good')!.ok, true);
    const issue = (stem: string) => {
      const r = byStem.get(stem)!;
      assert.equal(r.ok, false, stem);
      return r.ok ? undefined : r.issues[0];
    };
    assert.equal(issue('bomb')!.file, join(dir, 'bomb.yaml'));
    assert.match(issue('bomb')!.message, /expand to more than/);
    assert.ok(issue('bomb')!.line > 16, 'at the alias, not at 1:1');
    assert.match(issue('many')!.message, /more than 100 aliases/);
    assert.match(issue('huge')!.message, /larger than/);
    assert.match(issue('typo')!.message, /did you mean "wait"/);
    assert.equal(await loadRunbooksDir(join(dir, 'none'), registry), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the run service lists every runbook (the bad ones with their file and line) and still plans the good one', async () => {
  const dir = folder(badFiles);
  const db = openStore(join(dir, 'standby.sqlite'));
  const ws: Workspace = { ...workspace, store: { ...workspace.store, path: join(dir, 'standby.sqlite') } };
  const runs = new RunService({
    workspace: ws,
    runbooksDir: dir,
    db,
    services: () => ({}) as EnvironmentServices,
    snapshot: async () => labSnapshot(),
    latestSnapshot: () => null,
    onEvent: () => {},
  });
  try {
    const list = await runs.listRunbooks();
    assert.deepEqual(
      list.map((r) => [r.name, r.error === null]),
      [
        ['bomb', false],
        ['good', true],
        ['huge', false],
        ['many', false],
        ['pause', true],
        ['typo', false],
      ],
    );
    assert.match(list[0]!.error!, new RegExp(`^${join(dir, 'bomb.yaml')}:\\d+:\\d+ x-bomb\\.e\\[0\\]: aliases expand`));
    const plan = await runs.planRun('lab', 'pause');
    assert.equal(plan.ok, true, plan.ok ? '' : plan.error.message);
    if (plan.ok)
      assert.deepEqual(
        plan.value.steps.map((st) => st.id),
        ['pause'],
      );
    const refused = await runs.planRun('lab', 'bomb');
    assert.equal(refused.ok, false);
    if (!refused.ok) {
      assert.equal(refused.error.kind, 'invalid-input');
      assert.match(refused.error.message, /bomb\.yaml:\d+/);
    }
  } finally {
    await runs.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
