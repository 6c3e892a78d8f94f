/**
 * Entry point of `bin/standby-lab`, the development lab's command line (see lab-cli.ts).
 */
import { runCli } from '../../electron/cli/run-cli.ts';
import { createLabProgram } from './lab-cli.ts';

// exit explicitly: a stopped core may still hold sockets closing in the background
process.exit(await runCli(createLabProgram(), process.argv.slice(2)));
