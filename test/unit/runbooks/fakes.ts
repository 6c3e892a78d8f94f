/**
 * Fakes for the runbook engine's unit tests: a key/value "world" (optionally persisted to a
 * JSON file so a child process and the test share it), step kinds acting on it, an
 * environment snapshot builder, and an engine factory over a real store in a temp dir.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { parseWorkspace } from '../../../electron/core/config/load-workspace.ts';
import type { Environment } from '../../../electron/core/config/workspace-schema.ts';
import { openStore } from '../../../electron/core/store/open-store.ts';
import { AuditLog, auditLogPathFor } from '../../../electron/core/runbooks/audit-log.ts';
import { EnvLock, type EnvLockOptions } from '../../../electron/core/runbooks/env-lock.ts';
import { RunEngine, type RunEngineOptions } from '../../../electron/core/runbooks/run-engine.ts';
import type { RunEvent } from '../../../electron/core/runbooks/run-event.ts';
import { RunJournal } from '../../../electron/core/runbooks/run-journal.ts';
import type { Runbook } from '../../../electron/core/runbooks/runbook-schema.ts';
import { StepError } from '../../../electron/core/runbooks/step-error.ts';
import type { StepKind } from '../../../electron/core/runbooks/step-kind.ts';
import type { StepEffect } from '../../../electron/core/runbooks/step-plan.ts';
import { createStepRegistry, type StepRegistry } from '../../../electron/core/runbooks/step-registry.ts';
import type { EnvironmentSnapshot, ProbeStatus, SiteStatus, DbNodeStatus } from '../../../shared/status.ts';
import { validWorkspaceYaml } from '../config/valid-workspace.ts';

/** Shared fake state: values by key, act counts by key, failure budgets. */
export class World {
  values: Record<string, string> = {};
  /** How many times an act APPLIED its effect, by key. */
  applied: Record<string, number> = {};
  /** Remaining failures to throw from act, by key. */
  failures: Record<string, number> = {};
  /** Keys whose act already hung once (a hang happens once: the resumed run must not hang). */
  hung: Record<string, boolean> = {};
  readonly #file: string | null;

  constructor(file: string | null = null) {
    this.#file = file;
    if (file && existsSync(file)) Object.assign(this, JSON.parse(readFileSync(file, 'utf8')));
  }

  set(key: string, value: string): void {
    this.values[key] = value;
    this.applied[key] = (this.applied[key] ?? 0) + 1;
    this.save();
  }

  save(): void {
    if (this.#file)
      writeFileSync(
        this.#file,
        JSON.stringify({ values: this.values, applied: this.applied, failures: this.failures, hung: this.hung }),
      );
  }
}

const fakeSetParams = z
  .object({
    key: z.string().min(1),
    value: z.string(),
    effects: z.array(z.custom<StepEffect>()).default([]),
    /** Act blocks the thread forever, once per key (crash tests): before or after applying the effect. */
    hang: z.enum(['before-effect', 'after-effect']).optional(),
    /** Act sleeps this long, ms (timeout tests; honours the signal). */
    actMs: z.number().int().nonnegative().default(0),
    /** Error kind thrown while the key's failure budget lasts. */
    failKind: z.enum(['unreachable', 'invalid-input']).default('unreachable'),
    /** Verify reports a mismatch. */
    verifyFails: z.boolean().default(false),
  })
  .strict();
type FakeSetParams = z.infer<typeof fakeSetParams>;

/** Blocks the whole thread (no event loop turn): a crash test's stand-in for "still running". */
export function blockForever(marker: string): never {
  process.stdout.write(`${marker}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  throw new Error('unreachable');
}

/**
 * `fake.set`: sets world[key] = value. isDone: already equal. verify: reads it back.
 * `hooks` lets a test look at the journal from inside act/verify.
 */
export function fakeSetKind(
  world: World,
  hooks: { onAct?: (p: FakeSetParams) => void; onVerify?: (p: FakeSetParams) => void } = {},
): StepKind<FakeSetParams> {
  return {
    kind: 'fake.set',
    params: fakeSetParams,
    describe: (p) => `set ${p.key} to ${p.value}`,
    async plan(_ctx, p) {
      const before = world.values[p.key] ?? null;
      return {
        changes: [{ target: p.key, before, after: p.value }],
        commands: [`SET ${p.key} ${p.value}`],
        alreadyDone: before === p.value,
        notes: [],
        effects: p.effects,
      };
    },
    async isDone(_ctx, p) {
      const v = world.values[p.key];
      return { done: v === p.value, evidence: `${p.key} is ${v ?? '(unset)'}` };
    },
    async act(ctx, p, progress) {
      hooks.onAct?.(p);
      const hang = p.hang && !world.hung[p.key] ? p.hang : undefined;
      if (hang) {
        world.hung[p.key] = true;
        world.save();
      }
      if (hang === 'before-effect') blockForever(`HANG ${p.key}`);
      if ((world.failures[p.key] ?? 0) > 0) {
        world.failures[p.key]!--;
        world.save();
        throw new StepError(p.failKind, `fake ${p.key} failed (${p.failKind})`);
      }
      if (p.actMs > 0) {
        progress({ message: `waiting ${p.actMs} ms`, remainingMs: p.actMs });
        await ctx.sleep(p.actMs);
      }
      world.set(p.key, p.value);
      ctx.log.info(`set ${p.key}`);
      if (hang === 'after-effect') blockForever(`HANG ${p.key}`);
    },
    async verify(_ctx, p) {
      hooks.onVerify?.(p);
      const v = world.values[p.key];
      return { ok: !p.verifyFails && v === p.value, evidence: `${p.key} reads back ${v ?? '(unset)'}` };
    },
    async rollback(_ctx, p, recorded) {
      const before = recorded.changes.find((c) => c.target === p.key)?.before ?? null;
      if (before === null) delete world.values[p.key];
      else world.set(p.key, before);
      return { ok: (world.values[p.key] ?? null) === before, evidence: `${p.key} restored to ${before ?? '(unset)'}` };
    },
  };
}

/** `fake.approval`: an approval gate. */
export const fakeApprovalKind: StepKind<{ note: string }> = {
  kind: 'fake.approval',
  params: z.object({ note: z.string().default('') }).strict(),
  requiresApproval: true,
  describe: (p) => `approval: ${p.note}`,
  plan: async () => ({ changes: [], commands: [], alreadyDone: false, notes: ['waits for a person'], effects: [] }),
  isDone: async () => ({ done: false, evidence: 'not approved' }),
  act: async () => {},
  verify: async () => ({ ok: true, evidence: 'approved' }),
};

/** The `lab` environment of the unit-test workspace. */
export function labEnvironment(): Environment {
  const r = parseWorkspace(validWorkspaceYaml, '/ws/workspace.yaml');
  if (!r.ok) throw new Error('fixture workspace is invalid');
  return r.workspace.environments[0]!;
}

function probe(site: string, slot: string | null, state: ProbeStatus['state'], reason?: string): ProbeStatus {
  return {
    id: `lab/${site}/${slot ? `slot/${slot}` : 'entry'}`,
    site,
    slot,
    url: `http://${site}/${slot ?? 'entry'}`,
    state,
    ...(reason ? { reason } : {}),
    latencyMs: state === 'healthy' ? 1 : null,
    recentLatencyMs: [],
    consecutiveFailures: 0,
    consecutiveSuccesses: 1,
    breaker: 'closed',
    lastCheckedAt: 1,
    lastGoodAt: 1,
    failingSince: state === 'unhealthy' ? 1 : null,
  };
}

/** Knobs for {@link labSnapshot}. */
export interface SnapshotOptions {
  primary?: {
    state?: SiteStatus['state'];
    entry?: ProbeStatus['state'];
    slots?: Record<string, ProbeStatus['state']>;
    live?: string;
  };
  failover?: {
    state?: SiteStatus['state'];
    entry?: ProbeStatus['state'];
    slots?: Record<string, ProbeStatus['state']>;
    live?: string;
  };
  dnsPointsTo?: string | null;
  db?: Partial<Record<'pg-primary' | 'pg-replica', Partial<DbNodeStatus>>>;
  rpoSeconds?: number;
}

/** An EnvironmentSnapshot of the lab: primary active, both sites healthy, replica caught up. */
export function labSnapshot(o: SnapshotOptions = {}): EnvironmentSnapshot {
  const site = (
    name: 'primary' | 'failover',
    role: 'production' | 'failover',
    address: string,
    slotNames: string[],
    so: SnapshotOptions['primary'] = {},
  ): SiteStatus => {
    const state = so.state ?? 'healthy';
    return {
      name,
      role,
      address,
      state,
      reason: state === 'healthy' ? 'all targets healthy' : `site ${state}`,
      entry: probe(
        name,
        null,
        so.entry ?? (state === 'unhealthy' ? 'unhealthy' : state === 'unknown' ? 'unknown' : 'healthy'),
        state === 'healthy' ? undefined : 'connection refused',
      ),
      slots: slotNames.map((s) =>
        probe(name, s, so.slots?.[s] ?? 'healthy', so.slots?.[s] && so.slots[s] !== 'healthy' ? 'HTTP 503' : undefined),
      ),
      liveSlot: {
        site: name,
        router: name === 'primary' ? 'nginx' : 'haproxy',
        state: 'ok',
        liveSlot: so.live ?? slotNames[0]!,
        observedAt: 1,
        lastGoodAt: 1,
      },
      dbRole: name === 'primary' ? 'primary' : 'replica',
      servesTraffic: (o.dnsPointsTo ?? 'primary') === name,
    };
  };
  const db = (name: 'pg-primary' | 'pg-replica', siteName: string, role: DbNodeStatus['role']): DbNodeStatus => ({
    name,
    site: siteName,
    engine: 'postgresql',
    state: 'ok',
    role,
    walReceiver: role === 'replica' ? 'streaming' : null,
    lagBytes: role === 'replica' ? 0 : null,
    lagSeconds: role === 'replica' ? 0 : null,
    replayPaused: null,
    viaSsh: false,
    observedAt: 1,
    lastGoodAt: 1,
    ...(o.db?.[name] ?? {}),
  });
  const pointsTo = o.dnsPointsTo === undefined ? 'primary' : o.dnsPointsTo;
  return {
    environment: 'lab',
    generatedAt: 1_000,
    sites: [
      site('primary', 'production', '127.0.0.2', ['blue', 'green'], o.primary),
      site('failover', 'failover', '127.0.0.3', ['blue'], o.failover),
    ],
    dns: [
      {
        name: 'app.lab.test',
        type: 'A',
        normalTtlSeconds: 30,
        failoverTtlSeconds: 5,
        providers: [],
        flags: [],
        pointsTo,
        maxServedTtlSeconds: 30,
      },
    ],
    databases: [db('pg-primary', 'primary', 'primary'), db('pg-replica', 'failover', 'replica')],
    rpo: { verdict: 'ok', nowSeconds: 0, lagBytes: 0, objectiveSeconds: o.rpoSeconds ?? 5, explanation: '' },
    rto: {
      verdict: 'ok',
      estimateSeconds: 10,
      objectiveSeconds: 60,
      parts: { detectionSeconds: 3, runbookSeconds: 5, dnsTtlSeconds: 2 },
      explanation: '',
    },
    activeSite: pointsTo,
    splitBrain: null,
  };
}

/** A runbook of `fake.set` steps (ids one, two, three… unless given). */
export function fakeRunbook(steps: Partial<Runbook['steps'][number]>[], extra: Partial<Runbook> = {}): Runbook {
  return {
    version: 1,
    name: 'fake',
    description: '',
    kind: 'custom',
    onFailure: 'pause',
    steps: steps.map((s, i) => ({
      id: ['one', 'two', 'three', 'four', 'five'][i] ?? `s${i}`,
      kind: 'fake.set',
      params: { key: `k${i}`, value: 'v' },
      continueOnError: false,
      ...s,
    })),
    ...extra,
  };
}

/** Everything a test needs around one engine; `close()` removes the temp dir. */
export interface Harness {
  dir: string;
  storePath: string;
  world: World;
  registry: StepRegistry;
  journal: RunJournal;
  locks: EnvLock;
  audit: AuditLog;
  engine: RunEngine;
  events: RunEvent[];
  snapshot: { current: EnvironmentSnapshot };
  close(): void;
}

/**
 * Builds an engine over a real store (temp dir, or `dir` when given: crash tests reopen it).
 * Params of runbooks must be parsed by the kinds first: use {@link parseParams}.
 */
export function makeHarness(
  options: {
    dir?: string;
    world?: World;
    kinds?: StepKind[];
    engine?: Partial<RunEngineOptions>;
    lock?: EnvLockOptions;
    hooks?: Parameters<typeof fakeSetKind>[1];
  } = {},
): Harness {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'sb-runbooks-'));
  const storePath = join(dir, 'standby.sqlite');
  const db = openStore(storePath);
  const world = options.world ?? new World();
  const registry = createStepRegistry([fakeSetKind(world, options.hooks), fakeApprovalKind, ...(options.kinds ?? [])]);
  const journal = new RunJournal(db);
  const audit = new AuditLog(auditLogPathFor(storePath), { db });
  const locks = new EnvLock(db, { audit, ...options.lock });
  const env = labEnvironment();
  const snapshot = { current: labSnapshot() };
  const events: RunEvent[] = [];
  const engine = new RunEngine({
    registry,
    journal,
    locks,
    audit,
    actor: 'alice@test',
    target: (name) => (name === 'lab' ? { env, services: {}, snapshot: async () => snapshot.current } : undefined),
    onEvent: (e) => events.push(e),
    graceMs: 200,
    ...options.engine,
  });
  return {
    dir,
    storePath,
    world,
    registry,
    journal,
    locks,
    audit,
    engine,
    events,
    snapshot,
    close() {
      db.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Parses every step's params (and rollback params) with its kind's schema, as the loader does. */
export function parseParams(rb: Runbook, registry: StepRegistry): Runbook {
  return {
    ...rb,
    steps: rb.steps.map((s) => ({
      ...s,
      params: registry.get(s.kind)!.params.parse(s.params) as Record<string, unknown>,
      ...(s.rollback
        ? {
            rollback: {
              kind: s.rollback.kind,
              params: registry.get(s.rollback.kind)!.params.parse(s.rollback.params) as Record<string, unknown>,
            },
          }
        : {}),
    })),
  };
}
