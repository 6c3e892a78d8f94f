/**
 * Step `ssh.run`: run one command on a site's SSH host; its declared `successExitCodes` are
 * success, anything else is an {@link SshStepError} carrying host, command, exit code, stdout and
 * stderr (after GitHub Desktop's git core: declared outcomes, and an error holding the result).
 *
 * ```yaml
 * - id: drain-queue
 *   kind: ssh.run
 *   params: { site: primary, command: "systemctl stop worker", successExitCodes: [0, 5], check: "! systemctl is-active worker" }
 * ```
 *
 * - isDone: only with `check` (a command that must not change anything): exit 0 = the effect is
 *   there, skip; any other exit = not done. Without `check` the command always runs.
 * - verify: `check` again (exit 0 required); without it, the exit code of the run is the only
 *   evidence, and the step says so.
 * Commands run through the user's login shell on the host; quote arguments yourself.
 */
import { z } from 'zod';
import type { SshConfig } from '../../config/workspace-schema.ts';
import type { OpErrorKind } from '../../../../shared/result.ts';
import { SshCommandError, type ExecResult } from '../../ssh/ssh-exec.ts';
import { sshTarget } from '../../ssh/ssh-pool.ts';
import { StepError } from '../step-error.ts';
import type { StepContext, StepKind } from '../step-kind.ts';
import { stepService } from '../step-services.ts';
import { asStepError, siteOf } from './step-lookup.ts';

/** Params of `ssh.run`. */
export const sshRunParams = z
  .object({
    /** Site whose SSH host runs the command (`sites[].name`). */
    site: z.string().min(1),
    /** Shell command line. */
    command: z.string().min(1).max(10_000),
    /** Exit codes that mean success. */
    successExitCodes: z.array(z.number().int().min(0).max(255)).min(1).default([0]),
    /** Bound on the command (connect + run), ms. */
    timeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
    /** Read-only command: exit 0 = the effect is already there (idempotence), and the read-back. */
    check: z.string().min(1).max(10_000).optional(),
  })
  .strict();
/** Parsed params of `ssh.run`. */
export type SshRunParams = z.output<typeof sshRunParams>;

const TAIL = 2000;
const tail = (s: string): string => (s.length > TAIL ? `…${s.slice(-TAIL)}` : s);

/**
 * A command ended with an exit code that was not declared as success (or by a signal). The
 * message holds the tails of stdout and stderr, so the journal and the UI show them.
 */
export class SshStepError extends StepError {
  /** SSH target, `user@host:port`. */
  readonly host: string;
  readonly command: string;
  /** null when killed by a signal or no exit status came. */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly successExitCodes: readonly number[];
  constructor(e: SshCommandError) {
    const how =
      e.exitCode !== null
        ? `exited with ${e.exitCode}`
        : e.signal
          ? `was killed by SIG${e.signal}`
          : 'ended without an exit status';
    const out = e.stdout.trim() ? `\nstdout: ${tail(e.stdout.trim())}` : '\nstdout: (empty)';
    const err = e.stderr.trim() ? `\nstderr: ${tail(e.stderr.trim())}` : '\nstderr: (empty)';
    super(
      e.error.kind as OpErrorKind,
      `\`${e.command}\` on ${e.host} ${how} (declared success: ${e.successExitCodes.join(', ')})${out}${err}`,
      {
        hint: 'read the output above; fix the cause on the host, or declare this exit code in successExitCodes if it means success',
        where: e.host,
        retryable: false,
        cause: e,
      },
    );
    this.host = e.host;
    this.command = e.command;
    this.exitCode = e.exitCode;
    this.stdout = e.stdout;
    this.stderr = e.stderr;
    this.successExitCodes = e.successExitCodes;
  }
}

/** Step-state key of the last act's result, for verify's evidence (also after a restart). */
const LAST_RUN = 'lastRun';

/** What an act recorded of its command: exit code, duration (ms), the last line of its trimmed stdout ('' = none). */
interface LastRun {
  exitCode: number;
  durationMs: number;
  lastLine: string;
}

function isLastRun(v: unknown): v is LastRun {
  const o = v as Partial<LastRun> | null;
  return (
    typeof o === 'object' &&
    o !== null &&
    typeof o.exitCode === 'number' &&
    typeof o.durationMs === 'number' &&
    typeof o.lastLine === 'string'
  );
}

function sshOf(ctx: StepContext, site: string): SshConfig {
  return siteOf(ctx.env, site).ssh;
}

/** Runs `check`: exit 0 → true; another exit → false with the output; SSH trouble → throws. */
async function runCheck(
  ctx: StepContext,
  p: SshRunParams,
  check: string,
): Promise<{ done: boolean; evidence: string }> {
  const cfg = sshOf(ctx, p.site);
  try {
    const r = await stepService(ctx, 'ssh').exec(cfg, check, { timeoutMs: p.timeoutMs, signal: ctx.signal });
    return {
      done: true,
      evidence: `check \`${check}\` on ${sshTarget(cfg)} exited 0${r.stdout.trim() ? `: ${tail(r.stdout.trim()).split('\n').slice(-1)[0]}` : ''}`,
    };
  } catch (e) {
    if (e instanceof SshCommandError) {
      const said = (e.stderr.trim() || e.stdout.trim()).split('\n').slice(-1)[0];
      return {
        done: false,
        evidence: `check \`${check}\` on ${e.host} exited ${e.exitCode ?? `by SIG${e.signal}`}${said ? `: ${said}` : ''}`,
      };
    }
    throw asStepError(e);
  }
}

/** `ssh.run` (see the file comment). */
export const sshRunKind: StepKind<SshRunParams> = {
  kind: 'ssh.run',
  params: sshRunParams,
  // Bounded by its own timeoutMs (≤ 1 h): the engine's bound only backs it up.
  defaultTimeoutMs: 3_660_000,
  references: (p) => [{ kind: 'site', name: p.site, path: ['site'] }],
  describe: (p) => `Run \`${p.command.length > 80 ? `${p.command.slice(0, 79)}…` : p.command}\` on site ${p.site}`,

  async plan(ctx, p) {
    const cfg = sshOf(ctx, p.site);
    const target = sshTarget(cfg);
    const notes = [
      `success = exit ${p.successExitCodes.join(' or ')}; anything else fails the step with the command's output`,
    ];
    let alreadyDone = false;
    if (p.check !== undefined) {
      const c = await runCheck(ctx, p, p.check);
      alreadyDone = c.done;
      notes.push(`now: ${c.evidence}${c.done ? ' → the command will not run' : ''}`);
    } else notes.push('no check command: it always runs, and only its exit code is evidence');
    return {
      changes: [],
      commands: [
        ...(p.check !== undefined ? [`ssh ${target}: ${p.check}  # check: exit 0 = already done`] : []),
        `ssh ${target}: ${p.command}`,
      ],
      alreadyDone,
      notes,
      effects: [],
    };
  },

  async isDone(ctx, p) {
    if (p.check === undefined) return { done: false, evidence: 'no check command: the command always runs' };
    return runCheck(ctx, p, p.check);
  },

  async act(ctx, p, progress) {
    const cfg = sshOf(ctx, p.site);
    progress({ message: `running on ${sshTarget(cfg)}: ${p.command}` });
    let r: ExecResult;
    try {
      r = await stepService(ctx, 'ssh').exec(cfg, p.command, {
        successExitCodes: p.successExitCodes,
        timeoutMs: p.timeoutMs,
        signal: ctx.signal,
      });
    } catch (e) {
      if (e instanceof SshCommandError) throw new SshStepError(e);
      throw asStepError(e);
    }
    ctx.log.info(
      `exit ${r.exitCode} in ${r.durationMs} ms${r.stdout.trim() ? `; stdout: ${tail(r.stdout.trim())}` : ''}${r.stderr.trim() ? `; stderr: ${tail(r.stderr.trim())}` : ''}`,
    );
    if (ctx.runId !== null)
      ctx.state.set(LAST_RUN, {
        exitCode: r.exitCode,
        durationMs: r.durationMs,
        lastLine: r.stdout.trim().split('\n').slice(-1)[0] ?? '',
      } satisfies LastRun);
  },

  async verify(ctx, p) {
    if (p.check !== undefined) {
      const c = await runCheck(ctx, p, p.check);
      return { ok: c.done, evidence: c.evidence };
    }
    const last = ctx.runId !== null ? ctx.state.get<unknown>(LAST_RUN) : undefined;
    if (!isLastRun(last))
      return {
        ok: true,
        evidence: 'the command ended with a declared success exit code (no check command to read anything back)',
      };
    const out = last.lastLine ? `; last line of stdout: ${last.lastLine}` : '';
    return {
      ok: true,
      evidence: `exited ${last.exitCode} (declared success) in ${last.durationMs} ms${out}; no check command to read anything back`,
    };
  },
};
