/**
 * What every router's slot switch shares: one command log, a progress reporter, errors that
 * carry the commands run so far, SSH execution that records each command, the slot lookup,
 * the "already live" answer and the final wrapping of unexpected errors. The routers keep only
 * what differs (nginx: include + test + reload; HAProxy: runtime API states).
 */
import type { Site, Slot } from '../config/workspace-schema.ts';
import { exec, type ExecResult } from '../ssh/ssh-exec.ts';
import { toOpError } from '../platform/op-error.ts';
import { sshTarget, type SshPool } from '../ssh/ssh-pool.ts';
import { CommandLog } from '../platform/command-log.ts';
import { SlotSwitchError } from './slot-router.ts';
import type {
  LiveSlotReading,
  RouterCommand,
  SwitchSlotOptions,
  SwitchSlotPlan,
  SwitchSlotResult,
} from './slot-router.ts';

/** Kinds of refusal a switch reports (see the routers' `switchSlot` docs). */
export type SwitchFailKind = 'invalid-input' | 'unsafe-plan' | 'conflict' | 'timeout' | 'internal';

export interface SwitchSession {
  readonly log: CommandLog<RouterCommand>;
  /** The SSH target, `user@host:port` (commands are listed against it). */
  readonly where: string;
  /** Wall time per phase, ms (reported in the result). */
  readonly phaseMs: Record<string, number>;
  progress(phase: string, message: string): void;
  /** A SlotSwitchError that carries every command run so far (and the router's own words). */
  fail(kind: SwitchFailKind, message: string, hint?: string, stderr?: string): SlotSwitchError;
  /** Runs `command` on the site's SSH host, recorded in the log as `text` (default: the command). */
  shell(
    command: string,
    o: { timeoutMs: number; maxOutputBytes: number; text?: string; stdin?: string; outcome: (x: ExecResult) => string },
  ): Promise<ExecResult>;
  /** The configured slot named `to`. @throws SlotSwitchError `invalid-input` naming the slots. */
  slot(to: string): Slot;
  /** The result (or plan) when `to` is live already: nothing changes, and it says why. */
  unchanged(to: string, before: LiveSlotReading, summary: string, planOnly: boolean): SwitchSlotResult | SwitchSlotPlan;
  /** Runs the switch body; any error that is not a SlotSwitchError becomes one, with the commands. */
  guard<T>(body: () => Promise<T>): Promise<T>;
}

export function startSwitchSession(site: Site, pool: SshPool, options: SwitchSlotOptions): SwitchSession {
  const log = new CommandLog<RouterCommand>();
  const where = sshTarget(site.ssh);
  const { signal } = options;
  const phaseMs: Record<string, number> = {};
  const fail = (kind: SwitchFailKind, message: string, hint?: string, stderr?: string): SlotSwitchError =>
    new SlotSwitchError(
      { kind, message, ...(hint !== undefined ? { hint } : {}), where: site.name },
      { commands: log.commands, ...(stderr !== undefined ? { stderr } : {}) },
    );
  return {
    log,
    where,
    phaseMs,
    progress: (phase, message) => options.onProgress?.({ phase, message, elapsedMs: log.elapsedMs() }),
    fail,
    shell: (command, o) =>
      log.run(
        { kind: 'shell', target: where, text: o.text ?? command },
        () =>
          exec(pool, site.ssh, command, {
            timeoutMs: o.timeoutMs,
            maxOutputBytes: o.maxOutputBytes,
            ...(signal ? { signal } : {}),
            ...(o.stdin !== undefined ? { stdin: o.stdin } : {}),
          }),
        o.outcome,
      ),
    slot(to) {
      const slot = site.slots.find((s) => s.name === to);
      if (!slot)
        throw fail(
          'invalid-input',
          `site ${site.name} has no slot "${to}" (slots: ${site.slots.map((s) => s.name).join(', ')})`,
        );
      return slot;
    },
    unchanged(to, before, summary, planOnly) {
      if (planOnly) return { from: to, to, changed: false, summary, reads: log.commands, commands: [] };
      return {
        from: to,
        to,
        after: before,
        durationMs: log.elapsedMs(),
        changed: false,
        summary,
        commands: log.commands,
        phaseMs,
      };
    },
    async guard(body) {
      try {
        return await body();
      } catch (e) {
        if (e instanceof SlotSwitchError) throw e;
        throw new SlotSwitchError(toOpError(e, site.name), { commands: log.commands, cause: e });
      }
    },
  };
}
