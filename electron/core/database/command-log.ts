/** The command log of database mutations (SQL statements and shell commands on a node's host). */
import { CommandLog as GenericCommandLog } from '../ops/command-log.ts';
import type { OpCommand } from './replication-adapter.ts';

export class CommandLog extends GenericCommandLog<OpCommand> {}
