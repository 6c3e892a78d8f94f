/**
 * Fakes for the built-in step kinds' unit tests: DNS providers with an API view and a served
 * view (write counters, scripted failures, compare-and-swap), database nodes, slot routers, an
 * SSH exec and an HTTP probe — all in memory — plus a step context on a fake clock (sleep
 * advances the clock at once, so countdowns and backoffs run instantly and are observable).
 */
import { parseWorkspace } from '../../../../electron/core/config/load-workspace.ts';
import type { Environment, SshConfig } from '../../../../electron/core/config/workspace-schema.ts';
import type { AuthoritativeAnswer } from '../../../../electron/core/dns/authoritative-query.ts';
import type {
  DnsProvider,
  DnsRecordSet,
  DnsRecordType,
  SetRecordSetOptions,
} from '../../../../electron/core/dns/dns-provider.ts';
import { DnsProviderError, type DnsProviderErrorKind } from '../../../../electron/core/dns/dns-provider-error.ts';
import { parseHostPort } from '../../../../electron/core/dns/parse-host-port.ts';
import { describePowerDnsWrite } from '../../../../electron/core/dns/providers/powerdns.ts';
import { describeRfc2136Write } from '../../../../electron/core/dns/providers/rfc2136.ts';
import type {
  FenceCheck,
  FenceMode,
  FenceResult,
  NodeObservation,
  PromoteCheck,
  PromoteResult,
  ReplicationAdapter,
  RewindOptions,
  RewindResult,
  StreamingCheck,
} from '../../../../electron/core/database/replication-adapter.ts';
import type { HttpProbeResult } from '../../../../electron/core/health/http-probe.ts';
import { SshCommandError, type ExecOptions, type ExecResult } from '../../../../electron/core/ssh/ssh-exec.ts';
import type {
  LiveSlotReading,
  SlotRouter,
  SlotVerification,
  SwitchSlotPlan,
  SwitchSlotResult,
} from '../../../../electron/core/traffic/slot-router.ts';
import { memoryStepState } from '../../../../electron/core/runbooks/run-journal.ts';
import type { StepContext, StepProgress } from '../../../../electron/core/runbooks/step-kind.ts';
import type { DbNodeService, EnvironmentServices } from '../../../../electron/core/environment/environment-services.ts';
import { validWorkspaceYaml } from '../../config/valid-workspace.ts';

/** The unit-test workspace's `lab` environment, with a second database node `pg-replica` on the failover site. */
export function stepsEnvironment(): Environment {
  const yaml = `${validWorkspaceYaml}      - { name: pg-replica, site: failover, engine: postgresql, host: 127.0.0.3, port: 15432, user: postgres, password: { env: PGPASSWORD }, viaSsh: true }\n`;
  const r = parseWorkspace(yaml, '/ws/workspace.yaml');
  if (!r.ok) throw new Error(`fixture workspace is invalid: ${JSON.stringify(r.issues)}`);
  return r.workspace.environments[0]!;
}

const set = (values: string[], ttlSeconds: number): DnsRecordSet => ({ values: [...values].sort(), ttlSeconds });
export { set };

/**
 * One DNS provider of one record (`app.lab.test A`): `api` is what its API holds; `served` what its
 * nameserver serves. A write updates `api`, and `served` too unless `lagServes` is set.
 */
export class FakeDnsProvider implements DnsProvider {
  readonly name: string;
  readonly kind: string;
  readonly capabilities: { read: true; write: boolean; compareAndSwap: boolean };
  api: DnsRecordSet | null;
  served: DnsRecordSet | null;
  /** Nameserver keeps serving the old answer until this many more queries after a write. */
  lagServes = 0;
  #lagLeft = 0;
  /** Successful writes. */
  writes: { values: string[]; ttlSeconds: number; expected: DnsRecordSet | null | undefined }[] = [];
  gets = 0;
  /** The next N getRecordSet / setRecordSet calls fail with this kind. */
  failGets = 0;
  failSets = 0;
  failKind: DnsProviderErrorKind = 'unreachable';
  /** Applies the write, then throws a timeout (a reply lost after the server applied it). */
  loseNextReply = false;
  /** Someone else changes the record right before our next write lands (CAS must refuse it). */
  raceOnNextSet: DnsRecordSet | null | undefined = undefined;
  /** Describes a write as the real provider of the workspace config does (set by {@link stepWorld}). */
  describer:
    ((fqdn: string, type: DnsRecordType, want: DnsRecordSet | null, expected?: DnsRecordSet | null) => string) | null =
    null;

  constructor(name: string, kind: 'powerdns' | 'rfc2136', initial: DnsRecordSet | null) {
    this.name = name;
    this.kind = kind;
    this.capabilities = { read: true, write: true, compareAndSwap: kind === 'rfc2136' };
    this.api = initial;
    this.served = initial;
  }

  async getRecordSet(_fqdn: string, _type: DnsRecordType, signal?: AbortSignal): Promise<DnsRecordSet | null> {
    signal?.throwIfAborted();
    this.gets++;
    if (this.failGets > 0) {
      this.failGets--;
      throw new DnsProviderError(this.failKind, `${this.name} API: ECONNREFUSED (fake)`, undefined, {
        where: this.name,
      });
    }
    return this.api && { ...this.api, values: [...this.api.values] };
  }

  async setRecordSet(
    _fqdn: string,
    _type: DnsRecordType,
    values: string[],
    ttlSeconds: number,
    opts: SetRecordSetOptions = {},
  ): Promise<void> {
    opts.signal?.throwIfAborted();
    if (this.failSets > 0) {
      this.failSets--;
      throw new DnsProviderError(this.failKind, `${this.name} API: ECONNREFUSED (fake)`, undefined, {
        where: this.name,
      });
    }
    if (this.raceOnNextSet !== undefined) {
      this.api = this.raceOnNextSet;
      this.served = this.raceOnNextSet;
      this.raceOnNextSet = undefined;
    }
    if (opts.expected !== undefined) {
      const cur = this.api;
      const exp = opts.expected;
      const same =
        exp === null || exp.values.length === 0
          ? cur === null
          : cur !== null &&
            JSON.stringify([...cur.values].sort()) === JSON.stringify([...exp.values].sort()) &&
            cur.ttlSeconds === exp.ttlSeconds;
      if (!same)
        throw new DnsProviderError('conflict', `${this.name}: record changed since it was read`, undefined, {
          where: this.name,
        });
    }
    this.api = values.length ? set(values, ttlSeconds) : null;
    this.writes.push({ values, ttlSeconds, expected: opts.expected });
    if (this.lagServes > 0) this.#lagLeft = this.lagServes;
    else this.served = this.api;
    if (this.loseNextReply) {
      this.loseNextReply = false;
      throw new DnsProviderError(
        'timeout',
        `${this.name}: timeout after 2000 ms; the update may or may not have been applied`,
        undefined,
        { where: this.name },
      );
    }
  }

  describeWrite(fqdn: string, type: DnsRecordType, want: DnsRecordSet | null, expected?: DnsRecordSet | null): string {
    return this.describer ? this.describer(fqdn, type, want, expected) : `set ${fqdn} ${type} at ${this.name}`;
  }

  /** What its nameserver answers now (catching up after `lagServes` queries). */
  answer(): AuthoritativeAnswer {
    if (this.#lagLeft > 0) {
      this.#lagLeft--;
      if (this.#lagLeft === 0) this.served = this.api;
    }
    const s = this.served;
    return {
      values: s?.values ?? [],
      ttlSeconds: s ? s.ttlSeconds : null,
      rcode: s ? 'NOERROR' : 'NXDOMAIN',
      authoritative: true,
      latencyMs: 1,
      transport: 'udp',
    };
  }

  async close(): Promise<void> {}
}

/** Mutable state of a fake database node. */
export interface FakeNodeState {
  role: 'primary' | 'replica' | 'down';
  readOnly: boolean;
  lsn: number;
  replayLsn: number;
  streamingFrom: string | null;
  fences: number;
  promotions: number;
  rewinds: number;
  /** verifyFenced / verifyPromoted / observe reject (the host cannot be asked). */
  unreachable: boolean;
}

const lsnText = (n: number): string => `0/${n.toString(16).toUpperCase()}`;

const adapters = new Map<FakeNodeState, ReplicationAdapter>();

/** A database node with fence / promote / rewind acting on {@link FakeNodeState}. */
export function fakeDbNode(
  name: string,
  site: string,
  state: FakeNodeState,
  nodes: () => Map<string, FakeNodeState>,
): DbNodeService {
  const unreachable = (): Error =>
    Object.assign(new Error(`ssh ${site}: ECONNREFUSED`), {
      error: { kind: 'unreachable', message: `ssh ${site}: ECONNREFUSED`, where: name },
    });
  const fenceCheck = (): FenceCheck => {
    if (state.unreachable) throw unreachable();
    if (state.role === 'down') return { fenced: true, state: 'down', evidence: 'connection refused', commands: [] };
    if (state.role === 'replica') return { fenced: true, state: 'in-recovery', evidence: 'in recovery', commands: [] };
    if (state.readOnly) return { fenced: true, state: 'read-only', evidence: 'write refused (25006)', commands: [] };
    return { fenced: false, state: 'writable', evidence: 'a write was accepted', commands: [] };
  };
  const promoteCheck = (): PromoteCheck => {
    if (state.unreachable) throw unreachable();
    const promoted = state.role === 'primary' && !state.readOnly;
    return {
      promoted,
      inRecovery: state.role === 'replica',
      writeCommitted: promoted,
      evidence: promoted
        ? 'out of recovery; a write committed'
        : `role ${state.role}${state.readOnly ? ' read-only' : ''}`,
      commands: [],
    };
  };
  const streamCheck = (source?: ReplicationAdapter): StreamingCheck => {
    if (state.unreachable || state.role === 'down') throw unreachable();
    const src = source ? [...nodes()].find(([, s]) => adapters.get(s) === source)?.[0] : undefined;
    const streaming =
      state.role === 'replica' && state.streamingFrom !== null && (src === undefined || state.streamingFrom === src);
    return {
      streaming,
      receiverStatus: streaming ? 'streaming' : null,
      sender: state.streamingFrom,
      slot: null,
      evidence: streaming ? `streaming from ${state.streamingFrom}` : `not streaming (role ${state.role})`,
      commands: [],
    };
  };
  const adapter: ReplicationAdapter = {
    engine: 'postgresql',
    capabilities: { observe: true, fence: true, promote: true, rewind: true },
    async observe(): Promise<NodeObservation> {
      if (state.unreachable || state.role === 'down') throw unreachable();
      const base = {
        serverNow: 1_000_000,
        serverVersion: 150000,
        peers: [],
        lastReplayAt: null,
        replayPauseState: null,
        walReceiver: null,
      };
      if (state.role === 'primary')
        return {
          ...base,
          role: 'primary',
          currentLsn: lsnText(state.lsn),
          receiveLsn: null,
          replayLsn: null,
          replayPauseState: null,
        };
      return {
        ...base,
        role: 'replica',
        currentLsn: null,
        receiveLsn: lsnText(state.replayLsn),
        replayLsn: lsnText(state.replayLsn),
        lastReplayAt: 999_000,
        replayPauseState: 'not paused',
        walReceiver: 'streaming',
      };
    },
    async fence(mode: FenceMode): Promise<FenceResult> {
      if (state.unreachable) throw unreachable();
      const changed = mode === 'hard' ? state.role !== 'down' : !fenceCheck().fenced;
      if (changed) state.fences++;
      if (mode === 'hard') state.role = 'down';
      else if (state.role === 'primary') state.readOnly = true;
      const c = fenceCheck();
      return {
        mode,
        changed,
        verified: c.fenced,
        evidence: c.evidence,
        summary: changed ? 'fenced' : 'already fenced',
        commands: [{ kind: 'shell', target: site, text: 'pg_ctl stop', outcome: 'exit 0' }],
        durationMs: 1,
      };
    },
    async verifyFenced() {
      return fenceCheck();
    },
    async promote(): Promise<PromoteResult> {
      if (state.unreachable) throw unreachable();
      const changed = state.role === 'replica';
      if (changed) {
        state.promotions++;
        state.role = 'primary';
        state.streamingFrom = null;
        state.lsn = state.replayLsn;
      }
      const c = promoteCheck();
      return {
        changed,
        promoteMs: changed ? 5 : 0,
        verified: c.promoted,
        evidence: c.evidence,
        summary: changed ? 'promoted' : 'already primary',
        commands: [],
        durationMs: 1,
      };
    },
    async verifyPromoted() {
      return promoteCheck();
    },
    async rewind(o: RewindOptions): Promise<RewindResult> {
      const src = [...nodes()].find(([, s]) => adapters.get(s) === o.source)![0];
      if (state.role === 'primary')
        throw Object.assign(new Error('running as a primary'), {
          error: { kind: 'unsafe-plan', message: `${name} is running as a primary`, where: name },
        });
      o.onProgress?.({ phase: 'rewind', message: 'pg_rewind', elapsedMs: 1 });
      state.rewinds++;
      state.role = 'replica';
      state.readOnly = false;
      state.streamingFrom = src;
      const s = streamCheck(o.source);
      return {
        method: 'rewind',
        changed: true,
        summary: 'rewound',
        droppedSlots: [],
        slot: 'standby_x',
        phaseMs: { rewind: 1 },
        streaming: s,
        commands: [],
        durationMs: 1,
      };
    },
    async verifyStreaming(source?: ReplicationAdapter) {
      return streamCheck(source);
    },
    async close() {},
  };
  adapters.set(state, adapter);
  return {
    config: {
      name,
      site,
      engine: 'postgresql',
      host: '127.0.0.1',
      port: 5432,
      database: 'app',
      user: 'postgres',
      password: { env: 'PGPASSWORD' },
      viaSsh: false,
    },
    adapter,
    planCommands: (op) => [{ kind: 'sql', target: `database ${name}`, text: `-- ${op.kind}` }],
  };
}

/** A slot router over one mutable `live` slot (`entrySlot` is what traffic reaches; follows `live` unless pinned). */
export class FakeRouter implements SlotRouter {
  readonly kind = 'nginx' as const;
  readonly capabilities = { read: true as const, switch: true };
  live: string | null;
  switches: string[] = [];
  /** Traffic keeps reaching this slot whatever the router says (a stuck worker). */
  pinnedEntry: string | null = null;
  constructor(live: string) {
    this.live = live;
  }
  async readLiveSlot(): Promise<LiveSlotReading> {
    return { liveSlot: this.live, evidence: `server for ${this.live}` };
  }
  async planSwitch(to: string): Promise<SwitchSlotPlan> {
    return {
      from: this.live,
      to,
      changed: this.live !== to,
      summary: this.live === to ? `${to} is already live` : `${this.live} → ${to}`,
      reads: [],
      commands: [{ kind: 'shell', target: 'ops@127.0.0.2:2222', text: `switch to ${to}` }],
    };
  }
  async switchSlot(
    to: string,
    o: { onProgress?: (p: { phase: string; message: string; elapsedMs: number }) => void } = {},
  ): Promise<SwitchSlotResult> {
    const from = this.live;
    o.onProgress?.({ phase: 'write', message: `upstream → ${to}`, elapsedMs: 1 });
    const changed = from !== to;
    if (changed) this.switches.push(to);
    this.live = to;
    return {
      from,
      to,
      after: await this.readLiveSlot(),
      durationMs: 1,
      changed,
      summary: changed ? `switched ${from} → ${to}` : 'already',
      commands: [],
      phaseMs: {},
    };
  }
  async verifySlot(expected: string): Promise<SlotVerification> {
    const reading = await this.readLiveSlot();
    const entry = this.pinnedEntry ?? this.live;
    const verified = reading.liveSlot === expected && entry === expected;
    return {
      verified,
      expected,
      reading,
      answers: [],
      evidence: `router ${reading.liveSlot}, entry ${entry}`,
      ...(verified ? {} : { reason: `entry serves ${entry}` }),
      commands: [],
    };
  }
}

/** Scripted SSH: `results[command]` → exit code + output (default exit 0); `calls` records every command. */
export class FakeSsh {
  results: Record<string, { exit: number; stdout?: string; stderr?: string }> = {};
  calls: string[] = [];
  unreachable = false;
  async exec(cfg: SshConfig, command: string, o: ExecOptions = {}): Promise<ExecResult> {
    this.calls.push(command);
    const host = `${cfg.user}@${cfg.host}:${cfg.port}`;
    if (this.unreachable)
      throw Object.assign(new Error(`${host}: ECONNREFUSED`), {
        error: { kind: 'unreachable', message: `${host}: ECONNREFUSED`, where: host },
      });
    const r = this.results[command] ?? { exit: 0 };
    const ok = o.successExitCodes ?? [0];
    const out = { exitCode: r.exit, stdout: r.stdout ?? '', stderr: r.stderr ?? '', durationMs: 3, truncated: false };
    if (!ok.includes(r.exit))
      throw new SshCommandError({
        host,
        command,
        exitCode: r.exit,
        signal: null,
        stdout: out.stdout,
        stderr: out.stderr,
        durationMs: 3,
        successExitCodes: ok,
      });
    return out;
  }
}

/** Everything a step context needs, on a fake clock. */
export interface StepWorld {
  env: Environment;
  dns: { powerdns: FakeDnsProvider; bind: FakeDnsProvider };
  nodes: Map<string, FakeNodeState>;
  routers: Map<string, FakeRouter>;
  ssh: FakeSsh;
  /** Probe answers by URL, consumed in order; the last one repeats. */
  probes: Map<string, HttpProbeResult[]>;
  /** The environment's services, all fakes (a step sees them as its `StepServices`). */
  services: EnvironmentServices;
  clock: { t: number; sleeps: number[] };
  logs: string[];
  progress: StepProgress[];
  /** Step state by `runId/stepId`, shared by every context of the world (the engine keeps it in the run journal). */
  states: Map<string, StepContext['state']>;
  /**
   * A step context on the world's clock. `state` replaces the world's state of that run and step
   * (e.g. one backed by a real journal, to test what survives a restart).
   */
  ctx(o?: { runId?: string | null; stepId?: string; signal?: AbortSignal; state?: StepContext['state'] }): StepContext;
}

let worlds = 0;

/** A world where app.lab.test is 127.0.0.2 TTL 30 at both providers, pg-primary is primary, pg-replica streams from it, both sites serve blue. */
export function stepWorld(): StepWorld {
  const env = stepsEnvironment();
  const dns = {
    powerdns: new FakeDnsProvider('powerdns', 'powerdns', set(['127.0.0.2'], 30)),
    bind: new FakeDnsProvider('bind', 'rfc2136', set(['127.0.0.2'], 30)),
  };
  const nodes = new Map<string, FakeNodeState>([
    [
      'pg-primary',
      {
        role: 'primary',
        readOnly: false,
        lsn: 1000,
        replayLsn: 0,
        streamingFrom: null,
        fences: 0,
        promotions: 0,
        rewinds: 0,
        unreachable: false,
      },
    ],
    [
      'pg-replica',
      {
        role: 'replica',
        readOnly: false,
        lsn: 0,
        replayLsn: 1000,
        streamingFrom: 'pg-primary',
        fences: 0,
        promotions: 0,
        rewinds: 0,
        unreachable: false,
      },
    ],
  ]);
  const routers = new Map([
    ['primary', new FakeRouter('blue')],
    ['failover', new FakeRouter('blue')],
  ]);
  for (const c of env.dnsProviders) {
    const fake = dns[c.name as 'powerdns' | 'bind'];
    if (c.kind === 'powerdns')
      fake.describer = (f, t, w) =>
        describePowerDnsWrite({ apiUrl: c.apiUrl.replace(/\/+$/, ''), serverId: c.serverId, zone: env.zone }, f, t, w);
    else
      fake.describer = (f, t, w, e) =>
        describeRfc2136Write({ server: parseHostPort(c.server), zone: env.zone }, f, t, w, e);
  }
  const ssh = new FakeSsh();
  const probes = new Map<string, HttpProbeResult[]>();
  const byServer = new Map(
    env.dnsProviders.flatMap((c) => c.nameservers.map((ns) => [ns, dns[c.name as 'powerdns' | 'bind']] as const)),
  );
  const services: EnvironmentServices = {
    env,
    dns: {
      providers: [dns.powerdns, dns.bind],
      query: async (server) => {
        const p = byServer.get(server);
        if (!p) throw new DnsProviderError('unreachable', `${server}: ECONNREFUSED`);
        return p.answer();
      },
    },
    replication: {
      items: new Map(
        [...nodes].map(([name, s]) => [
          name,
          fakeDbNode(name, name === 'pg-primary' ? 'primary' : 'failover', s, () => nodes),
        ]),
      ),
      problems: new Map(),
    },
    routers: { items: routers, problems: new Map() },
    ssh: { exec: (cfg, command, o) => ssh.exec(cfg, command, o) },
    health: {
      probe: async (url) => {
        const q = probes.get(url);
        if (!q || q.length === 0) return { ok: false, status: null, latencyMs: 1, error: `ECONNREFUSED ${url}` };
        return q.length > 1 ? q.shift()! : q[0]!;
      },
    },
    close: async () => {},
  };
  const clock = { t: 1_000_000, sleeps: [] as number[] };
  const logs: string[] = [];
  const progress: StepProgress[] = [];
  // Every world is a run of its own; step state (dns.set-ttl countdowns) is per run and step.
  const runId = `run-${++worlds}`;
  const states = new Map<string, StepContext['state']>();
  const stateOf = (r: string | null, stepId: string): StepContext['state'] => {
    if (r === null) return memoryStepState();
    let s = states.get(`${r}/${stepId}`);
    if (!s) states.set(`${r}/${stepId}`, (s = memoryStepState()));
    return s;
  };
  return {
    env,
    dns,
    nodes,
    routers,
    ssh,
    probes,
    services,
    clock,
    logs,
    progress,
    states,
    ctx: (o = {}) => {
      const signal = o.signal ?? new AbortController().signal;
      const r = o.runId === undefined ? runId : o.runId;
      const stepId = o.stepId ?? 'step';
      return {
        env,
        services,
        signal,
        log: {
          info: (m) => logs.push(`info ${m}`),
          warn: (m) => logs.push(`warn ${m}`),
          error: (m) => logs.push(`error ${m}`),
        },
        now: () => clock.t,
        sleep: async (ms) => {
          signal.throwIfAborted();
          clock.sleeps.push(ms);
          clock.t += ms;
        },
        runId: r,
        stepId,
        state: o.state ?? stateOf(r, stepId),
      };
    },
  };
}

/** A 2xx probe answer with a JSON body naming `slot`. */
export const healthy = (slot = 'blue'): HttpProbeResult => ({
  ok: true,
  status: 200,
  latencyMs: 2,
  body: { status: 'ok', slot },
});
/** A 503 probe answer. */
export const unhealthy = (): HttpProbeResult => ({ ok: false, status: 503, latencyMs: 2, error: 'HTTP 503' });
