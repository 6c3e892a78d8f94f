/**
 * The lab started from a project the lab user cannot enter (a root home, a 0700 `mktemp -d`):
 * a copy of the project in a fresh 0700 directory runs `bin/standby-lab up`, and every server
 * must run from the lab dir and read only files there. Port base 11300 (no other test uses it).
 * Root only: as any other user the servers run as that user, who can always enter the project.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LAB_SCRIPTS_DIR, labAvailable, pidRunning } from '../lab/lab.ts';

const BASE = 11300;
const ROOT = resolve(LAB_SCRIPTS_DIR, '../..');
const avail = labAvailable();
const isRoot = process.getuid?.() === 0;
const skip = !avail.ok ? avail.reason : !isRoot ? 'needs root (the lab user is then another user)' : false;

/** Runs FILE ARGS with a bounded wall time (ms); never rejects. */
function run(file: string, args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      done({ code, out: `${stdout}\n${stderr}` });
    });
  });
}

/** PIDs recorded by lab-up in DIR/pids, by server name. */
function recordedPids(labDir: string): Record<string, number> {
  const dir = join(labDir, 'pids');
  if (!existsSync(dir)) return {};
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f.endsWith('.pid'))
      .map((f) => [f.slice(0, -4), Number(readFileSync(join(dir, f), 'utf8').trim())]),
  );
}

describe('lab from a project directory the lab user cannot enter', { skip }, () => {
  let project = '';
  let labDir = '';
  let pids: Record<string, number> = {};
  let up = { code: null as number | null, out: '' };

  before(async () => {
    project = mkdtempSync(join(tmpdir(), 'sb-private-'));
    chmodSync(project, 0o700);
    for (const p of ['package.json', 'bin', 'electron', 'shared', 'test/lab']) {
      cpSync(join(ROOT, p), join(project, p), { recursive: true });
    }
    symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(project, 'node_modules'));
    labDir = mkdtempSync('/tmp/sbp.');
    up = await run(join(project, 'bin/standby-lab'), ['up', '--dir', labDir, '--port-base', String(BASE)], 90_000);
    pids = recordedPids(labDir);
  });

  after(async () => {
    const down = await run(join(project, 'bin/standby-lab'), ['down', '--dir', labDir, '--rm'], 60_000);
    const running = Object.entries(pids).filter(([, pid]) => pidRunning(pid));
    rmSync(project, { recursive: true, force: true });
    assert.equal(down.code, 0, down.out);
    assert.deepEqual(running, [], 'recorded PIDs still running after lab down');
    assert.equal(existsSync(labDir), false, `${labDir} left behind`);
  });

  test('lab up succeeds and standby status reads the lab', async () => {
    assert.equal(up.code, 0, up.out);
    assert.ok(Object.keys(pids).length >= 12, `expected ≥ 12 recorded PIDs, got ${JSON.stringify(pids)}`);
    const st = await run(
      join(project, 'bin/standby'),
      ['status', '--workspace', join(labDir, 'workspace.yaml')],
      30_000,
    );
    assert.equal(st.code, 0, st.out);
  });

  test('every server runs from the lab dir and reads nothing from the project', () => {
    assert.equal(up.code, 0, up.out);
    for (const [name, pid] of Object.entries(pids)) {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      // sshd chdirs to / on its own; every other server keeps the directory it was started in.
      assert.ok(cwd === '/' || cwd === labDir || cwd.startsWith(`${labDir}/`), `${name} (${pid}) runs in ${cwd}`);
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      assert.ok(!argv.includes(project), `${name} (${pid}) reads from the project: ${argv.split('\0').join(' ')}`);
    }
    // A database's startCommand runs over SSH as the lab user: it must not point into the project.
    assert.ok(
      !readFileSync(join(labDir, 'workspace.yaml'), 'utf8').includes(project),
      'workspace.yaml names the project',
    );
  });
});
