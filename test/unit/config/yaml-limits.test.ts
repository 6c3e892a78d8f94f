/**
 * A workspace or runbook file cannot make the YAML reader throw or run away: too many aliases,
 * an alias bomb, a cyclic or undefined alias and an oversized file are issues located in the
 * file (line of the offending alias), never exceptions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadWorkspace, parseWorkspace } from '../../../electron/core/config/load-workspace.ts';
import { YamlSource, readYamlFile, yamlLimits } from '../../../electron/core/config/yaml-source.ts';
import { validWorkspaceYaml } from './valid-workspace.ts';
import { aliasBombYaml, manyAliasesYaml } from './yaml-fixtures.ts';

const issuesOf = (text: string) => {
  const r = YamlSource.parse(text, 'f.yaml');
  assert.equal(r.ok, false, 'refused');
  return r.ok ? [] : r.issues;
};

test('more aliases than the limit is one issue at the first alias past it', () => {
  const ok = YamlSource.parse(manyAliasesYaml(yamlLimits.maxAliases), 'f.yaml');
  assert.equal(ok.ok, true, 'exactly the limit is fine');
  const [issue, ...rest] = issuesOf(manyAliasesYaml(yamlLimits.maxAliases + 1));
  assert.equal(rest.length, 0);
  assert.equal(issue!.file, 'f.yaml');
  assert.equal(issue!.line, 3 + yamlLimits.maxAliases, 'the 101st alias');
  assert.equal(issue!.field, `list[${yamlLimits.maxAliases}]`);
  assert.match(issue!.message, /more than 100 aliases/);
});

test('an alias bomb stops at the alias where the expansion passes the limit, without expanding it', () => {
  const started = performance.now();
  const [issue] = issuesOf(aliasBombYaml);
  assert.ok(performance.now() - started < 2000, 'refused quickly');
  assert.equal(issue!.line, 5);
  assert.equal(issue!.field, 'e[0]', 'd alone adds 8,289 values; the first *d passes 10,000');
  assert.match(issue!.message, /expand to more than 10000/);
});

test('an alias inside the value it names, and an alias without anchor, are issues', () => {
  const [cyc] = issuesOf('a: 1\nb: &b\n  c: *b\n');
  assert.equal(cyc!.line, 3);
  assert.equal(cyc!.field, 'b.c');
  assert.match(cyc!.message, /contains it/);
  const [undef] = issuesOf('a: 1\nb: *nowhere\n');
  assert.equal(undef!.line, 2);
  assert.match(undef!.message, /\*nowhere has no anchor/);
});

test('a few aliases still work (a shared block)', () => {
  const r = YamlSource.parse('r: &r { attempts: 3 }\ns:\n  - retry: *r\n  - retry: *r\n', 'f.yaml');
  assert.ok(r.ok);
  assert.deepEqual(r.source.value(), {
    r: { attempts: 3 },
    s: [{ retry: { attempts: 3 } }, { retry: { attempts: 3 } }],
  });
});

test('a workspace with an alias bomb is a located issue, not an exception', () => {
  const r = parseWorkspace(`${validWorkspaceYaml}x-bomb:\n${aliasBombYaml.replace(/^/gm, '  ')}`, '/w/workspace.yaml');
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.issues.length, 1);
  assert.equal(r.issues[0]!.file, '/w/workspace.yaml');
  assert.match(r.issues[0]!.message, /expand to more than/);
});

test('a file over the size limit is refused before parsing, with what to do', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-yaml-limits-'));
  try {
    const big = join(dir, 'workspace.yaml');
    writeFileSync(big, `${validWorkspaceYaml}# ${'x'.repeat(yamlLimits.maxBytes)}\n`);
    const r = await loadWorkspace(big);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.deepEqual(
      r.issues.map((i) => [i.file, i.line, i.field]),
      [[big, 1, '(file)']],
    );
    assert.match(r.issues[0]!.message, /larger than 1048576 bytes/);
    const small = join(dir, 'small.yaml');
    writeFileSync(small, 'a: é\n');
    assert.deepEqual(await readYamlFile(small, 'workspace', 'hint'), { ok: true, text: 'a: é\n' });
    const missing = await readYamlFile(join(dir, 'none.yaml'), 'runbook', 'the hint');
    assert.equal(missing.ok, false);
    if (!missing.ok) assert.match(`${missing.issue.message} ${missing.issue.hint}`, /ENOENT.*the hint/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
