/**
 * Entry point of the `standby` command (bin/standby). The commands are in commands/; run
 * `standby --help` for them.
 */
import { createProgram } from './create-program.ts';
import { runCli } from './run-cli.ts';

// exit explicitly: a stopped core may still hold sockets closing in the background
process.exit(await runCli(createProgram(), process.argv.slice(2)));
