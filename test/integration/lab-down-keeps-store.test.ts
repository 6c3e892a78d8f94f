/**
 * `standby-lab down` keeps the console's store and audit log (DIR/standby.sqlite*) and says
 * where they are; a later `up` in the same DIR starts on them; `down --rm` deletes them, said
 * so. Real lab on port base 7300 (no other test uses it), driven through bin/standby-lab.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LAB_SCRIPTS_DIR, labAvailable } from '../lab/lab.ts';

const BASE = 7300;
const CLI = resolve(LAB_SCRIPTS_DIR, '../../bin/standby-lab');
const avail = labAvailable();
const skip = avail.ok ? false : avail.reason;
if (skip) console.log(`skipping lab-down-keeps-store: ${skip}`);

/** Runs the lab CLI with a bounded wall time (ms); never rejects. */
function lab(args: string[], timeoutMs = 120_000): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    execFile(
      CLI,
      args,
      { timeout: timeoutMs, maxBuffer: 8 << 20, env: { ...process.env, LAB_PORT_BASE: String(BASE) } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        done({ code, out: `${stdout}\n${stderr}` });
      },
    );
  });
}

describe('lab down and the console store', { skip }, () => {
  const parent = mkdtempSync('/tmp/sblab-keep.');
  chmodSync(parent, 0o755); // the lab user (as root: oplab) must be able to enter it
  const dir = join(parent, 'lab');
  const store = join(dir, 'standby.sqlite');
  const audit = join(dir, 'standby.sqlite.audit.jsonl');

  after(async () => {
    // whatever happened above: stop by recorded PIDs and delete everything
    if (existsSync(dir)) await lab(['down', '--dir', dir, '--rm']);
    rmSync(resolve(dir, '..'), { recursive: true, force: true });
  });

  test('plain down keeps standby.sqlite* and names them; up starts on them again; --rm deletes them', async () => {
    const up = await lab(['up', '--dir', dir, '--port-base', String(BASE)]);
    assert.equal(up.code, 0, up.out);
    // stand-ins for what a console wrote while the lab ran (content is what must survive)
    writeFileSync(store, 'store-bytes');
    writeFileSync(`${store}-wal`, 'wal-bytes');
    writeFileSync(audit, '{"seq":1}\n');

    const down = await lab(['down', '--dir', dir]);
    assert.equal(down.code, 0, down.out);
    assert.match(down.out, /kept the console store and audit log: .*standby\.sqlite/);
    assert.match(down.out, /--rm/, 'says how to delete them');
    assert.deepEqual(readdirSync(dir).sort(), ['standby.sqlite', 'standby.sqlite-wal', 'standby.sqlite.audit.jsonl']);
    assert.equal(readFileSync(store, 'utf8'), 'store-bytes');
    assert.equal(readFileSync(audit, 'utf8'), '{"seq":1}\n');

    const again = await lab(['down', '--dir', dir]);
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /no lab running .*kept the console store and audit log/);
    assert.ok(existsSync(audit));

    const up2 = await lab(['up', '--dir', dir, '--port-base', String(BASE)]);
    assert.equal(up2.code, 0, `up in a DIR holding only the kept store must work:\n${up2.out}`);
    assert.equal(readFileSync(audit, 'utf8'), '{"seq":1}\n', 'up does not touch the kept audit log');

    const rm = await lab(['down', '--dir', dir, '--rm']);
    assert.equal(rm.code, 0, rm.out);
    assert.match(rm.out, /including the console store and audit log: .*standby\.sqlite\.audit\.jsonl/);
    assert.equal(existsSync(dir), false, '--rm deletes the whole lab dir');
  });
});
