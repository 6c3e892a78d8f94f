/** The command log of slot switches and verifications (SSH commands and HTTP requests). */
import { CommandLog } from '../ops/command-log.ts';
import type { RouterCommand } from './slot-router.ts';

export class RouterCommandLog extends CommandLog<RouterCommand> {}
