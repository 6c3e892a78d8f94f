/**
 * Runs a commander program as a process entry: parses, runs the action, and turns every outcome
 * into an exit code. Commander's own usage errors (unknown command or option, bad value,
 * missing argument) are already printed by commander — with "did you mean" — and exit 2; any
 * other error prints as `NAME: message` without a stack trace (STANDBY_DEBUG=1 shows one).
 */
import { Command, CommanderError } from 'commander';
import { EXIT_CODES } from './exit-codes.ts';
import { UsageError } from './usage-error.ts';

/** Output sinks (default: the process's stdout and stderr); tests capture them. */
export interface CliOutput {
  writeOut: (text: string) => void;
  writeErr: (text: string) => void;
}

/**
 * The settings every `standby`-style program shares; call before adding commands (commander
 * copies them into each subcommand at creation).
 */
export function configureProgram(program: Command, output?: CliOutput): Command {
  return program
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      ...(output ?? {}),
      outputError: (text, write) => write(`${program.name()}: ${text.replace(/^error: /, '')}`),
    });
}

/**
 * Gives each command a "see --help" hint after a usage error (the Fix part of the message).
 * Call after all commands are added.
 */
export function addHelpHints(cmd: Command, path = cmd.name()): void {
  cmd.showHelpAfterError(`Fix: see \`${path} --help\``);
  for (const sub of cmd.commands) addHelpHints(sub, `${path} ${sub.name()}`);
}

/**
 * Parses `args` (without node and script) and runs the chosen action.
 * @returns the exit code: the action's (see EXIT_CODES), 0 for help, 2 for a usage error,
 *          1 for any other error. Never rejects.
 */
export async function runCli(program: Command, args: readonly string[]): Promise<number> {
  try {
    await program.parseAsync(args.length ? [...args] : ['--help'], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_CODES.ok;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    const writeErr = program.configureOutput().writeErr ?? ((t: string) => process.stderr.write(t));
    if (process.env.STANDBY_DEBUG) writeErr(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    writeErr(`${program.name()}: ${e instanceof Error ? e.message : String(e)}\n`);
    return e instanceof UsageError ? EXIT_CODES.usage : EXIT_CODES.failed;
  }
}
