/**
 * `standby validate` on a workspace of its own (no lab): the workspace and every runbook of its
 * runbooks folder, each issue as `file:line:col field: message. Fix: hint`, exit 2 when any is
 * invalid. The lab's own runbooks validate against a workspace with the lab's names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT_CODES } from '../../../electron/cli/exit-codes.ts';
import { validWorkspaceYaml } from '../config/valid-workspace.ts';
import { aliasBombYaml } from '../config/yaml-fixtures.ts';

const entry = fileURLToPath(new URL('../../../electron/cli/standby.ts', import.meta.url));
const labRunbooks = fileURLToPath(new URL('../../lab/runbooks', import.meta.url));

/** The unit workspace with the lab's names: a replica node and a green slot on the failover site. */
const labLikeWorkspace = validWorkspaceYaml
  .replace(
    '          - { name: blue, url: "http://127.0.0.3:15301", routerId: blue }\n',
    '          - { name: blue, url: "http://127.0.0.3:15301", routerId: blue }\n          - { name: green, url: "http://127.0.0.3:15302", routerId: green }\n',
  )
  .concat(
    '      - { name: pg-replica, site: failover, engine: postgresql, host: 127.0.0.3, port: 15432, user: postgres, password: { env: PGPASSWORD }, viaSsh: true }\n',
  );

function validate(dir: string) {
  const r = spawnSync(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', entry, 'validate', '--workspace', join(dir, 'workspace.yaml')],
    { encoding: 'utf8', timeout: 60_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A workspace folder with the lab's runbooks and `extra` runbook files. */
function workspaceDir(extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-validate-'));
  writeFileSync(join(dir, 'workspace.yaml'), labLikeWorkspace);
  mkdirSync(join(dir, 'runbooks'));
  cpSync(labRunbooks, join(dir, 'runbooks'), { recursive: true });
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, 'runbooks', name), text);
  return dir;
}

test('the lab runbooks validate against a workspace with the lab names: exit 0, each runbook listed', () => {
  const dir = workspaceDir();
  try {
    const r = validate(dir);
    assert.equal(r.code, EXIT_CODES.ok, r.stderr);
    for (const f of readdirSync(labRunbooks)) assert.match(r.stdout, new RegExp(`${f}: valid`));
    assert.match(r.stdout, /valid \(1 environment\(s\), \d+ runbook\(s\)\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a misspelled step kind, an unknown node and an alias bomb: each file:line, exit 2, the rest still valid', () => {
  const bad = `version: 1
name: broken
kind: custom
steps:
  - id: fence
    kind: db.fense
    params: { node: pg-primary }
  - id: promote
    kind: db.promote
    params: { node: pg-replika }
`;
  const dir = workspaceDir({ 'broken.yaml': bad, 'bomb.yaml': aliasBombYaml });
  try {
    const r = validate(dir);
    assert.equal(r.code, EXIT_CODES.usage, r.stdout + r.stderr);
    const file = join(dir, 'runbooks', 'broken.yaml');
    assert.match(
      r.stderr,
      new RegExp(
        `^${file}:6:\\d+ steps\\[0\\]\\.kind: unknown step kind "db.fense" \\(did you mean "db.fence"\\?\\)\\. Fix: use one of: .+$`,
        'm',
      ),
    );
    assert.match(
      r.stderr,
      new RegExp(
        `^${file}:10:\\d+ steps\\[1\\]\\.params\\.node: database node "pg-replika" does not exist in environment lab.*\\. Fix: use one of: pg-primary, pg-replica$`,
        'm',
      ),
    );
    assert.match(r.stderr, new RegExp(`^${join(dir, 'runbooks', 'bomb.yaml')}:5:\\d+ e\\[0\\]: aliases expand`, 'm'));
    assert.match(r.stderr, /2 of \d+ runbook\(s\) in .* invalid/);
    assert.match(r.stdout, /failover\.yaml: valid/, 'the good runbooks are still read');
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a workspace with an alias bomb: exit 2 with its file and line', () => {
  const dir = workspaceDir();
  try {
    writeFileSync(join(dir, 'workspace.yaml'), `${labLikeWorkspace}x-bomb:\n${aliasBombYaml.replace(/^/gm, '  ')}`);
    const r = validate(dir);
    assert.equal(r.code, EXIT_CODES.usage, r.stdout + r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`^${join(dir, 'workspace.yaml')}:\\d+:\\d+ x-bomb\\.e\\[0\\]: aliases expand`, 'm'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
