/**
 * Slot switches on the real lab's routers, as the runbook step traffic.switch-slot will call
 * them: nginx on the primary site (include rewritten over SSH, nginx -t, reload), HAProxy on the
 * failover site (runtime API over SSH: ready → UP → maint, state saved to the server-state file).
 *
 * Scenarios: a broken upstream makes the nginx switch fail with nginx's words, the old file is
 * restored and blue keeps serving; an unhealthy target slot is refused before anything changes;
 * nginx blue → green → blue and HAProxy blue → green → blue, each under a bounded request loop
 * (new connection per request, loopback only) with 0 failed requests, verified through the
 * router state and the entry URL; a repeated switch is a no-op; HAProxy keeps the switch across
 * a reload (server-state file).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { labAvailable, startLab } from '../lab/lab.ts';
import type { Lab } from '../lab/lab.ts';
import { loadWorkspace, formatIssues } from '../../electron/core/config/load-workspace.ts';
import type { Site } from '../../electron/core/config/workspace-schema.ts';
import { resolveSecret } from '../../electron/core/secrets/resolve-secret.ts';
import { SshPool } from '../../electron/core/ssh/ssh-pool.ts';
import { exec, shellQuote } from '../../electron/core/ssh/ssh-exec.ts';
import { NginxRouter } from '../../electron/core/traffic/routers/nginx.ts';
import { HaproxyRouter } from '../../electron/core/traffic/routers/haproxy.ts';
import { SlotSwitchError } from '../../electron/core/traffic/slot-router.ts';
import type { SlotRouter, SwitchSlotResult } from '../../electron/core/traffic/slot-router.ts';
import { getEntrySlot } from '../../electron/core/traffic/verify-slot.ts';

const PORT_BASE = 24300; // below the ephemeral port range (32768+)
const available = labAvailable();
if (!available.ok) console.log(`# skipping traffic-switch: ${available.reason}`);
const skip = available.ok ? false : `lab not available: ${available.reason}`;
let lab: Lab | undefined;
let primary: Site;
let failover: Site;
let pool: SshPool | undefined;
let nginx: NginxRouter;
let haproxy: HaproxyRouter;
const timings: Record<string, number> = {};

before(async () => {
  if (skip) return;
  lab = await startLab({ portBase: PORT_BASE });
  const loaded = await loadWorkspace(lab.workspacePath);
  if (!loaded.ok) throw new Error(`lab workspace invalid:\n${formatIssues(loaded.issues)}`);
  const env = loaded.workspace.environments[0]!;
  primary = env.sites.find((s) => s.name === 'primary')!;
  failover = env.sites.find((s) => s.name === 'failover')!;
  pool = new SshPool({ resolveSecret });
  nginx = new NginxRouter({ site: primary, pool });
  haproxy = new HaproxyRouter({ site: failover, pool });
});

after(async () => {
  await pool?.close();
  await lab?.stop();
  if (Object.keys(timings).length) console.log(`# switch timings (ms): ${JSON.stringify(timings)}`);
});

interface LoopResult {
  total: number;
  failed: number;
  bySlot: Record<string, number>;
  errors: string[];
}

/**
 * Sequential GETs of `url`, one new connection each, until `stop()` or the bounds (≤ maxRequests,
 * ≤ maxMs). Loopback only. A request fails on no answer, a non-2xx status, or no slot in the JSON.
 */
function requestLoop(
  url: string,
  maxRequests = 1000,
  maxMs = 30_000,
): { stop(): Promise<LoopResult>; count(): number; finished(): boolean } {
  const host = new URL(url).hostname;
  if (!/^127\./.test(host) && host !== '[::1]') throw new Error(`request loop refuses non-loopback ${url}`);
  const res: LoopResult = { total: 0, failed: 0, bySlot: {}, errors: [] };
  let stopping = false;
  let finished = false;
  const t0 = performance.now();
  const done = (async () => {
    while (!stopping && res.total < maxRequests && performance.now() - t0 < maxMs) {
      const a = await getEntrySlot(url, { timeoutMs: 3000 });
      res.total++;
      if (a.status === null || a.status < 200 || a.status >= 300 || a.slot === null) {
        res.failed++;
        if (res.errors.length < 10) res.errors.push(`${a.status ?? a.error} slot=${a.slot}`);
      } else {
        res.bySlot[a.slot] = (res.bySlot[a.slot] ?? 0) + 1;
      }
      await new Promise((r) => setTimeout(r, 3)); // paced so 1,000 requests span the whole switch
    }
    finished = true;
    return res;
  })();
  return {
    count: () => res.total,
    finished: () => finished,
    async stop() {
      stopping = true;
      return done;
    },
  };
}

async function waitForCount(loop: { count(): number; finished(): boolean }, n: number): Promise<void> {
  for (let i = 0; i < 300 && loop.count() < n && !loop.finished(); i++) await new Promise((r) => setTimeout(r, 20));
}

/** Switches `router` to `to` while a request loop runs; asserts 0 failures and the read-back. */
async function switchUnderLoad(router: SlotRouter, site: Site, from: string, to: string): Promise<SwitchSlotResult> {
  const loop = requestLoop(site.router.entryUrl);
  await waitForCount(loop, 40);
  const r = await router.switchSlot!(to);
  const v = await router.verifySlot!(to, { consecutive: 5 });
  const before = loop.count();
  await waitForCount(loop, before + 40);
  const res = await loop.stop();
  assert.ok(
    res.total >= before + 40 || res.total === 1000,
    `the loop ran on after the switch (${before} → ${res.total})`,
  );
  assert.equal(r.changed, true, r.summary);
  assert.equal(r.from, from);
  assert.equal(r.after.liveSlot, to, r.after.evidence);
  assert.equal(v.verified, true, `${v.reason}: ${v.evidence}`);
  assert.equal(res.failed, 0, `failed requests during the switch: ${JSON.stringify(res)}`);
  assert.ok(res.total <= 1000);
  assert.ok(
    (res.bySlot[from] ?? 0) > 0 && (res.bySlot[to] ?? 0) > 0,
    `both slots answered: ${JSON.stringify(res.bySlot)}`,
  );
  console.log(
    `# ${site.router.kind} ${from} → ${to}: switch ${r.durationMs} ms (${JSON.stringify(r.phaseMs)}), ${res.total} requests, 0 failed, ${JSON.stringify(res.bySlot)}`,
  );
  return r;
}

async function cat(site: Site, file: string): Promise<string> {
  return (await exec(pool!, site.ssh, `cat -- ${shellQuote(file)}`, { timeoutMs: 5000 })).stdout;
}

test(
  "nginx: a broken upstream fails with nginx -t's words, the old file is restored and blue keeps serving",
  { skip },
  async () => {
    if (primary.router.kind !== 'nginx') throw new Error('primary is not nginx');
    const file = primary.router.upstreamFile;
    const original = await cat(primary, file);
    // a slot whose address nginx rejects (port out of range): nginx -t fails, nothing is resolved
    const broken: Site = {
      ...primary,
      slots: [
        ...primary.slots,
        { name: 'broken', url: primary.slots[1]!.url, healthPath: '/health', routerId: '127.0.0.2:70000' },
      ],
    };
    const err = await new NginxRouter({ site: broken, pool: pool! })
      .switchSlot('broken', { dangerouslySkipHealthCheck: true })
      .then(
        () => assert.fail('the broken switch succeeded'),
        (e: unknown) => e,
      );
    assert.ok(err instanceof SlotSwitchError, String(err));
    assert.equal(err.error.kind, 'conflict');
    assert.match(err.message, /nginx -t rejected the new upstream .*restored/);
    assert.match(err.stderr, /invalid port|70000/);
    assert.ok(
      err.commands.some((c) => /nginx .* -t -q/.test(c.text)),
      'the command that failed is reported',
    );
    assert.equal(await cat(primary, file), original, 'the old upstream file is back');
    const v = await nginx.verifySlot('blue');
    assert.equal(v.verified, true, `${v.reason}: ${v.evidence}`);

    // an unhealthy target is refused before anything changes
    const dead: Site = {
      ...primary,
      slots: [
        ...primary.slots,
        {
          name: 'dead',
          url: `http://127.0.0.2:${PORT_BASE + 9}`,
          healthPath: '/health',
          routerId: `127.0.0.2:${PORT_BASE + 9}`,
        },
      ],
    };
    await assert.rejects(
      new NginxRouter({ site: dead, pool: pool! }).switchSlot('dead'),
      (e: unknown) => e instanceof SlotSwitchError && e.error.kind === 'unsafe-plan' && /not healthy/.test(e.message),
    );
    assert.equal(await cat(primary, file), original);
  },
);

test(
  'nginx: blue → green → blue under a request loop, 0 failed requests, verified; repeated switch is a no-op',
  { skip },
  async () => {
    const plan = await nginx.planSwitch('green');
    const green = primary.slots.find((s) => s.name === 'green')!.routerId;
    assert.equal(plan.changed, true);
    assert.ok(plan.fileAfter?.includes(`server ${green};`) && !plan.fileBefore?.includes(green), plan.fileAfter);
    assert.deepEqual(
      plan.commands.map((c) => c.kind),
      ['http', 'shell', 'shell'],
    );
    assert.equal((await nginx.readLiveSlot()).liveSlot, 'blue', 'planning changes nothing');
    const r = await switchUnderLoad(nginx, primary, 'blue', 'green');
    timings.nginxToGreen = r.durationMs;
    timings.nginxToGreenWriteTestReload = r.phaseMs.switch ?? -1;
    const again = await nginx.switchSlot('green');
    assert.equal(again.changed, false);
    assert.match(again.summary, /already the live slot/);
    const back = await switchUnderLoad(nginx, primary, 'green', 'blue');
    timings.nginxToBlue = back.durationMs;
  },
);

/** One command on HAProxy's master socket (node:net; bounded). */
function master(command: string): Promise<string> {
  const sock = lab!.ports.HAPROXY_MASTER_SOCKET!;
  return new Promise((resolve, reject) => {
    let out = '';
    const c = createConnection(sock, () => c.end(`${command}\n`));
    c.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.on('end', () => resolve(out));
    c.on('error', reject);
    c.setTimeout(5000, () => c.destroy(new Error(`master "${command}" timed out`)));
  });
}

test(
  'HAProxy: blue → green under a request loop, 0 failed, verified; survives a reload (server-state file); back to blue',
  { skip },
  async () => {
    if (failover.router.kind !== 'haproxy') throw new Error('failover is not haproxy');
    const plan = await haproxy.planSwitch('green');
    assert.match(plan.summary, /green ready, wait until UP, then blue to maintenance, save state/);
    assert.deepEqual(
      plan.commands.map((c) => /set server be\/(\w+) state (\w+)/.exec(c.text)?.slice(1).join(' ') ?? 'read/persist'),
      ['green ready', 'read/persist', 'blue maint', 'read/persist', 'read/persist'],
    );
    const r = await switchUnderLoad(haproxy, failover, 'blue', 'green');
    timings.haproxyToGreen = r.durationMs;
    timings.haproxyWaitUp = r.phaseMs['wait-up'] ?? -1;
    assert.ok(
      r.commands.some((c) => /show servers state' \| socat .* > .*server-state\.standby-tmp/.test(c.text)),
      'state persisted',
    );
    const again = await haproxy.switchSlot('green');
    assert.equal(again.changed, false);

    const state = await cat(failover, failover.router.serverStateFile!);
    assert.match(state, /^1\n# be_id/);
    await master('reload');
    // the new worker loads the saved state: green stays the only live slot
    let live: string | null = null;
    for (let i = 0; i < 50; i++) {
      await new Promise((res) => setTimeout(res, 100));
      live = await haproxy.readLiveSlot().then(
        (x) => x.liveSlot,
        () => null,
      );
      if (live === 'green' && i >= 5) break;
    }
    assert.equal(live, 'green', 'the switch survived the reload');
    assert.equal((await haproxy.verifySlot('green')).verified, true);

    const back = await switchUnderLoad(haproxy, failover, 'green', 'blue');
    timings.haproxyToBlue = back.durationMs;
  },
);
