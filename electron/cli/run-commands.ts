/**
 * `standby plan`, `standby run`, `standby resume`, `standby abort`, `standby rollback` and
 * `standby audit verify`: the run half of the CLI, for automation. Plans print every change,
 * command and safety verdict; runs print the live timeline; `run` exits 0 only when every step
 * verified, `rollback` only when every undo verified.
 */
import { createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { RunUnderWay } from '../../shared/contract/index.ts';
import type { Result } from '../../shared/result.ts';
import type { Core } from '../core/create-core.ts';
import { verifyAuditLog, readAuditHead, auditLogPathFor, auditCannotDetect } from '../core/runbooks/audit-log.ts';
import { defaultAuditKeyPath, publicKeyFromRaw, rawPublicKey, readAuditKey } from '../core/runbooks/audit-key.ts';
import { runUntilStopped } from '../core/runbooks/run-until-stopped.ts';
import type { RunPlan } from '../../shared/runs/run-plan.ts';
import type { RunEvent, RunOutcome } from '../../shared/runs/run-event.ts';
import { runOutcomeOf, type LockInfo, type RunDetail, type RunSummary } from '../../shared/runs/run-summary.ts';
import type { SafetyOverride } from '../../shared/runs/safety-verdict.ts';
import { openStore } from '../core/store/open-store.ts';
import { UsageError } from './usage-error.ts';

/** Formats a plan for a terminal: steps with changes and commands, then the rule verdicts. */
export function formatPlan(plan: RunPlan): string {
  const lines = [`plan ${plan.planId}: runbook ${plan.runbook.name} on ${plan.env} (${plan.steps.length} steps)`];
  for (const s of plan.steps) {
    lines.push(
      `  ${s.index + 1}. ${s.title} [${s.kind}]${s.plan?.alreadyDone ? ' — already done, will be skipped' : ''}`,
    );
    if (s.planError) lines.push(`     plan failed: ${s.planError.message}`);
    for (const c of s.plan?.changes ?? [])
      lines.push(`     ${c.target}: ${c.before ?? '(absent)'} → ${c.after ?? '(absent)'}`);
    for (const c of s.plan?.commands ?? []) lines.push(`     $ ${c}`);
    for (const v of s.verdicts.filter((x) => x.verdict !== 'pass'))
      lines.push(`     ${v.verdict.toUpperCase()} ${v.rule}: ${v.evidence}`);
  }
  lines.push('safety rules:');
  for (const r of plan.rules)
    lines.push(`  ${r.verdict.padEnd(14)} ${r.rule}${r.evidence.length ? ` — ${r.evidence[0]}` : ''}`);
  return lines.join('\n');
}

/** One line per timeline event. */
export function formatEvent(e: RunEvent): string | null {
  const t = new Date(e.at).toISOString().slice(11, 23);
  switch (e.type) {
    case 'run-started':
      return e.phase === 'rollback'
        ? `${t} run ${e.runId} rolling back ${e.steps.length} step(s), last first: ${e.runbook} on ${e.env}`
        : `${t} run ${e.runId} ${e.resumed ? 'resumed' : 'started'}: ${e.runbook} on ${e.env}`;
    case 'step-started':
      return `${t}   ▶ ${e.stepId}`;
    case 'step-log':
      return `${t}     ${e.level === 'info' ? '' : `${e.level}: `}${e.message}`;
    case 'step-progress':
      return null;
    case 'step-finished':
      return `${t}   ${e.state === 'verified' || e.state === 'skipped' ? '✔' : '✖'} ${e.stepId} ${e.state}${e.durationMs !== null ? ` in ${e.durationMs} ms` : ''}${e.evidence ? ` — ${e.evidence}` : ''}${e.error ? ` — ${e.error.message}` : ''}`;
    case 'run-paused':
      return `${t} run PAUSED at ${e.stepId} (${e.reason}): ${e.detail}`;
    case 'run-finished':
      return `${t} run ${e.status}${e.durationMs !== null ? ` in ${e.durationMs} ms` : ''}${e.detail ? ` — ${e.detail}` : ''}${e.rollbacksOffered.length ? `; rollbacks offered: ${e.rollbacksOffered.join(', ')}` : ''}`;
  }
}

/**
 * The measured recovery of a run in one line, with what it counts from:
 * `recovery 4.2 s from the first failed probe at 12:03:04.118 (RTO 60 s)` (UTC, like the
 * timeline), `recovery 1.3 s from run start (RTO 60 s)`; `recovery: still measuring …` while the
 * basis is known but no time yet; null when nothing is measured (the run moves no DNS).
 */
export function formatRecovery(
  r: Pick<RunSummary, 'recoveryMs' | 'recoveryFrom' | 'recoveryStartedAt' | 'rtoObjectiveSeconds'>,
): string | null {
  const from =
    r.recoveryFrom === 'first-failed-probe' && r.recoveryStartedAt !== null
      ? `from the first failed probe at ${new Date(r.recoveryStartedAt).toISOString().slice(11, 23)}`
      : r.recoveryFrom === 'run-start'
        ? 'from run start'
        : null;
  const rto = r.rtoObjectiveSeconds === null ? '' : ` (RTO ${r.rtoObjectiveSeconds} s)`;
  if (r.recoveryMs !== null) {
    const s = r.recoveryMs / 1000;
    return `recovery ${s < 10 ? s.toFixed(1) : Math.round(s)} s${from ? ` ${from}` : ''}${rto}${r.rtoObjectiveSeconds !== null && r.recoveryMs > r.rtoObjectiveSeconds * 1000 ? ' — OVER the objective' : ''}`;
  }
  if (from)
    return `recovery: still measuring (${from}); the run history shows it once the new site is reached through DNS`;
  return null;
}

/** A run's measured recovery as `standby run --json` prints it (null: not measured). */
export interface RecoveryJson {
  ms: number | null;
  from: RunSummary['recoveryFrom'];
  /** Instant it counts from, epoch ms. */
  startedAt: number | null;
  rtoObjectiveSeconds: number | null;
}

/**
 * Hears `run-recovery-measured` from now on; `settled(runId)` then resolves once that run's
 * recovery is measured, or after `waitMs` — the grace the core's close() would grant the
 * measurement anyway, so one that lands in time costs nothing extra.
 */
function listenForRecovery(core: Core, waitMs = 5_000): { settled(runId: string): Promise<void>; off(): void } {
  const measured = new Set<string>();
  const waiters = new Map<string, () => void>();
  const off = core.on('run-recovery-measured', ({ runId }) => {
    measured.add(runId);
    waiters.get(runId)?.();
  });
  return {
    off,
    settled: (runId) =>
      measured.has(runId)
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, waitMs);
            waiters.set(runId, () => {
              clearTimeout(timer);
              resolve();
            });
          }),
  };
}

/**
 * The run's measured recovery, once the run has ended (a paused run has usually not moved DNS
 * yet); waits for a measurement still running (its basis is set, its time not yet).
 */
async function recoveryOf(
  core: Core,
  outcome: RunOutcome,
  recovery: ReturnType<typeof listenForRecovery>,
): Promise<RunSummary | null> {
  if (outcome.status === 'paused' || outcome.status === 'running') return null;
  let run = await core.api.getRun({ runId: outcome.runId });
  if (run.ok && run.value.recoveryFrom !== null && run.value.recoveryMs === null) {
    await recovery.settled(outcome.runId);
    run = await core.api.getRun({ runId: outcome.runId });
  }
  return run.ok && run.value.recoveryFrom !== null ? run.value : null;
}

/** Parses `--force RULE=REASON` options into overrides. */
export function parseOverrides(values: string[]): SafetyOverride[] {
  return values.map((v) => {
    const i = v.indexOf('=');
    if (i <= 0)
      throw new Error(
        `--force takes RULE=REASON (e.g. --force "lag-within-rpo=primary site lost, accepting data loss"), got "${v}"`,
      );
    return { rule: v.slice(0, i) as SafetyOverride['rule'], reason: v.slice(i + 1) };
  });
}

export async function planCommand(core: Core, env: string, runbook: string, json: boolean): Promise<number> {
  const r = await core.api.planRun({ env, runbook });
  if (!r.ok) throw new Error(`${r.error.message}${r.error.hint ? `. Fix: ${r.error.hint}` : ''}`);
  console.log(json ? JSON.stringify(r.value, null, 2) : formatPlan(r.value));
  // any verdict that is not `pass` (refuse or unknown) would stop `run` without an override
  return r.value.blocking.length > 0 ? 4 : 0;
}

export async function runCommand(
  core: Core,
  env: string,
  runbook: string,
  o: { yes: boolean; json: boolean; overrides: SafetyOverride[] },
): Promise<number> {
  const plan = await core.api.planRun({ env, runbook });
  if (!plan.ok) throw new Error(`${plan.error.message}${plan.error.hint ? `. Fix: ${plan.error.hint}` : ''}`);
  if (!o.json) console.log(formatPlan(plan.value));
  let confirmation = env;
  if (!o.yes) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    confirmation = (await rl.question(`Type the environment name (${env}) to run this plan: `)).trim();
    rl.close();
  }
  return follow(
    core,
    () => core.api.executeRun({ planId: plan.value.planId, confirmation, overrides: o.overrides }),
    o.json,
  );
}

export async function resumeCommand(
  core: Core,
  runId: string,
  o: { json: boolean; overrides: SafetyOverride[] },
): Promise<number> {
  return follow(core, () => core.api.resumeRun({ runId, overrides: o.overrides }), o.json);
}

/** What `standby abort --json` prints: the run as journalled after the abort, and the lock. */
export interface AbortJson extends RunOutcome {
  /** False while the run still executes in another process (it stops after its current step). */
  ended: boolean;
  /** The environment's lock after the abort. */
  lock: LockInfo | null;
}

/**
 * Aborts a run: a paused or interrupted run ends `aborted` at once and frees the environment's
 * lock; a run executing in another process stops after its current step. Prints the outcome and
 * the rollbacks then offered.
 * @returns 0 when the run is aborted or will stop; throws when the abort was refused
 * @throws Error with message and hint (unknown run, run already ended)
 */
export async function abortCommand(core: Core, runId: string, o: { json: boolean; reason?: string }): Promise<number> {
  const r = await core.api.abortRun({ runId, ...(o.reason ? { reason: o.reason } : {}) });
  if (!r.ok) throw new Error(`${r.error.message}${r.error.hint ? `. Fix: ${r.error.hint}` : ''}`);
  const run = await core.api.getRun({ runId });
  if (!run.ok) throw new Error(`${run.error.message}${run.error.hint ? `. Fix: ${run.error.hint}` : ''}`);
  const lock = await core.api.getLock({ env: run.value.env });
  const ended = run.value.status === 'aborted';
  if (o.json) {
    const out: AbortJson = { ...runOutcomeOf(run.value), ended, lock: lock.ok ? lock.value : null };
    console.log(JSON.stringify(out, null, 2));
  } else console.log(formatAborted(run.value));
  return 0;
}

/** The text `standby abort` prints about `run` once the abort was accepted. */
export function formatAborted(run: RunDetail): string {
  if (run.status !== 'aborted')
    return `abort requested: run ${run.runId} is executing in another process and stops after its current step; check it with \`standby runs\``;
  const lines = [`run ${run.runId} aborted${run.detail ? `: ${run.detail}` : ''}; the ${run.env} lock is released`];
  if (run.rollbacksOffered.length)
    lines.push(`rollbacks offered: ${run.rollbacksOffered.join(', ')} — undo them with: standby rollback ${run.runId}`);
  else lines.push('nothing to roll back');
  return lines.join('\n');
}

/**
 * What `standby rollback` will undo, as the operator confirms it: each offered step, last first,
 * with the runbook's own undo step (if it names one) and the changes it made as planned, each
 * put back to its recorded value.
 */
export function formatUndoPlan(run: RunDetail): string {
  const status = run.status === 'paused' && run.pauseReason ? `paused (${run.pauseReason})` : run.status;
  const head = `rollback of run ${run.runId}: ${run.plan.runbook.name} on ${run.env}, ${status}`;
  if (run.rollbacksOffered.length === 0) return `${head}\n  nothing to undo: no step with a rollback changed anything`;
  const lines = [`${head}; undoes ${run.rollbacksOffered.length} step(s), last first:`];
  for (const [n, id] of run.rollbacksOffered.entries()) {
    const step = run.plan.steps.find((s) => s.id === id);
    lines.push(`  ${n + 1}. undo ${id}${step ? ` — ${step.title}` : ''}`);
    // the kind's own undo is described as `undo: <the step>`, which the line above already says
    if (step?.rollback && step.rollback.description !== `undo: ${step.description}`)
      lines.push(`     by ${step.rollback.kind}: ${step.rollback.description}`);
    for (const c of step?.plan?.changes ?? [])
      lines.push(`     ${c.target}: ${c.after ?? '(absent)'} → back to ${c.before ?? '(absent)'}`);
  }
  return lines.join('\n');
}

/**
 * Rolls a run back: shows what will be undone, asks for the environment name (unless `yes`),
 * then runs the offered rollbacks, last step first, printing the timeline. Asks nothing when
 * there is nothing to undo (the run then just ends `rolled-back`, freeing the lock).
 * @param o.ask prompts and returns the typed answer (default: a readline on stdin)
 * @returns 0 only when the run ended `rolled-back`, else 1
 * @throws Error when the run is unknown, the confirmation differs, or the rollback was refused
 */
export async function rollbackCommand(
  core: Core,
  runId: string,
  o: { yes: boolean; json: boolean; ask?: (question: string) => Promise<string> },
): Promise<number> {
  const run = await core.api.getRun({ runId });
  if (!run.ok) throw new Error(`${run.error.message}${run.error.hint ? `. Fix: ${run.error.hint}` : ''}`);
  // --json keeps stdout for the JSON outcome: what will be undone goes to stderr there
  const show = o.json ? (t: string) => console.error(t) : (t: string) => console.log(t);
  show(formatUndoPlan(run.value));
  if (!o.yes && run.value.rollbacksOffered.length > 0) {
    const env = run.value.env;
    const typed = (await (o.ask ?? askOnTerminal(o.json))(`Type the environment name (${env}) to roll back: `)).trim();
    if (typed !== env)
      throw new Error(
        `the confirmation "${typed}" does not match the environment name "${env}": nothing was rolled back. Fix: type the environment name exactly, or pass --yes`,
      );
  }
  return follow(core, () => core.api.rollbackRun({ runId }), o.json, 'rolled-back');
}

/** A prompt on the terminal (stderr when stdout carries JSON); resolves to the typed line. */
function askOnTerminal(json: boolean): (question: string) => Promise<string> {
  return async (question) => {
    const rl = createInterface({ input: process.stdin, output: json ? process.stderr : process.stdout });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  };
}

/**
 * Makes a run call and follows the run until it pauses or ends, printing its timeline (text
 * mode), then reports it (see {@link report}); `success` is the status that exits 0.
 */
async function follow(
  core: Core,
  call: () => Promise<Result<RunUnderWay>>,
  json: boolean,
  success: 'succeeded' | 'rolled-back' = 'succeeded',
): Promise<number> {
  const offTimeline = core.on('run', (e) => {
    const line = formatEvent(e);
    if (line && !json) console.log(line);
  });
  const recovery = listenForRecovery(core);
  try {
    return await report(core, await runUntilStopped(core, call), json, recovery, success);
  } finally {
    offTimeline();
    recovery.off();
  }
}

/**
 * Prints the outcome — JSON (the RunOutcome plus `recovery`: {@link RecoveryJson} or null) or
 * text (why it did not succeed and what to do next, and the measured recovery) — and returns
 * the exit code: 0 only when the run ended `success` (every step, or every undo, verified).
 * @throws Error with message and hint when the call itself was refused
 */
async function report(
  core: Core,
  r: Result<RunOutcome>,
  json: boolean,
  recovery: ReturnType<typeof listenForRecovery>,
  success: 'succeeded' | 'rolled-back',
): Promise<number> {
  if (!r.ok) throw new Error(`${r.error.message}${r.error.hint ? `. Fix: ${r.error.hint}` : ''}`);
  // a rollback's run already has the recovery its forward run measured: not this command's
  const rec = success === 'succeeded' ? await recoveryOf(core, r.value, recovery) : null;
  if (json) {
    const recovery: RecoveryJson | null = rec
      ? {
          ms: rec.recoveryMs,
          from: rec.recoveryFrom,
          startedAt: rec.recoveryStartedAt,
          rtoObjectiveSeconds: rec.rtoObjectiveSeconds,
        }
      : null;
    console.log(JSON.stringify({ ...r.value, recovery }, null, 2));
  } else {
    if (r.value.status !== success) {
      const id = r.value.runId;
      const next =
        r.value.status === 'paused'
          ? ` — resume with: standby resume ${id}; or end it: standby abort ${id} / standby rollback ${id}`
          : r.value.status === 'rollback-failed'
            ? ` — fix the cause, then retry the rest with: standby rollback ${id}`
            : '';
      console.log(`run ${id} ${r.value.status}${r.value.detail ? `: ${r.value.detail}` : ''}${next}`);
    }
    const line = rec ? formatRecovery(rec) : null;
    if (line) console.log(line);
  }
  return r.value.status === success ? 0 : 1;
}

/**
 * Verifies the workspace's audit log (hash chain, signatures, the head kept in the store) and
 * prints what it checked and what it cannot prove. The trusted public key is `publicKey` (base64
 * of the raw 32 bytes, or a file holding that or a PEM public/private key), else the local signing
 * key file's public half when it exists.
 * @returns 0 intact, 1 broken (tampering or damage detected)
 * @throws UsageError when `publicKey` is not a key
 */
export function auditVerifyCommand(storePath: string, options: { publicKey?: string } = {}): number {
  const file = auditLogPathFor(storePath);
  let trusted: { key: string; from: string } | null = null;
  const notes: string[] = [];
  if (options.publicKey !== undefined) {
    trusted = { key: parsePublicKey(options.publicKey), from: '--public-key' };
  } else {
    const path = defaultAuditKeyPath();
    try {
      const k = readAuditKey(path);
      if (k) trusted = { key: k.publicKey, from: `the signing key file ${path}` };
      else notes.push(`no signing key file at ${path}: signatures are checked against the log's own key only`);
    } catch (e) {
      notes.push(`${(e as Error).message}; signatures are checked against the log's own key only`);
    }
  }
  const db = openStore(storePath);
  try {
    const head = readAuditHead(db, file);
    const r = verifyAuditLog(file, { head, ...(trusted ? { trustedKey: trusted.key } : {}) });
    const out = r.ok ? console.log : console.error;
    out(
      r.ok
        ? `${file}: OK, ${r.entries} entries, chain intact`
        : `${file}: BROKEN at entry ${r.firstBadSeq ?? '?'}: ${r.problem ?? 'unknown problem'}`,
    );
    out(`checked${r.ok ? '' : ' (up to the problem)'}:`);
    out(
      `  - entries 1..${r.entries}: one canonical JSON line each, seq in order, prevHash chain, sha256 of each entry`,
    );
    out(
      r.signedFrom !== undefined
        ? `  - Ed25519 signatures of entries ${r.signedFrom}..${r.entries} by key ${r.signedBy ?? '?'}${trusted ? ` (trusted: ${trusted.from})` : ' (the key the log itself names)'}`
        : `  - signatures: none in the log${trusted ? ` (trusted key from ${trusted.from})` : ''}`,
    );
    out(
      head
        ? `  - the store's head: seq ${head.seq}, hash ${head.hash.slice(0, 16)}…${head.signedFrom != null ? `, signed from seq ${head.signedFrom}` : ''}`
        : "  - the store's head: none recorded",
    );
    for (const w of [...notes, ...r.warnings]) out(`warning: ${w}`);
    out('cannot detect:');
    out(`  - ${auditCannotDetect.keyHolder}`);
    out(`  - ${auditCannotDetect.together}`);
    if (!trusted) out(`  - ${auditCannotDetect.otherKey}`);
    if (r.signedFrom === undefined || r.signedFrom > 1)
      out(
        `  - ${auditCannotDetect.unsigned}: entries ${r.signedFrom === undefined ? `1..${r.entries}` : `1..${r.signedFrom - 1}`}`,
      );
    return r.ok ? 0 : 1;
  } finally {
    db.close();
  }
}

/** base64 raw public key from a base64 string or a file (base64, PEM public or private key). */
function parsePublicKey(value: string): string {
  let text = value.trim();
  if (existsSync(value)) text = readFileSync(value, 'utf8').trim();
  try {
    if (text.startsWith('-----BEGIN')) return rawPublicKey(createPublicKey(text));
    publicKeyFromRaw(text);
    return text;
  } catch (e) {
    throw new UsageError(
      `--public-key ${value}: not an Ed25519 public key (${(e as Error).message}). Give base64 of the 32 raw bytes (the "key" field of a signed entry) or a PEM file`,
    );
  }
}
