/**
 * Child process of crash-resume.test.ts: runs a three-step fake runbook on the store in
 * `dir` and blocks its whole thread at the point named by `scenario`, printing a marker line
 * so the parent can SIGKILL it there:
 * - `boundary:start` — right after the run started (journal: all steps pending);
 * - `boundary:<stepId>` — right after that step's "after" journal write (step-finished);
 * - `hang-before:<stepId>` / `hang-after:<stepId>` — inside that step's act, before or after
 *   its effect was applied.
 * Usage: node crash-child.ts DIR SCENARIO
 */
import { join } from 'node:path';
import { World, blockForever, fakeRunbook, makeHarness, parseParams } from './fakes.ts';

const [dir, scenario] = process.argv.slice(2);
if (!dir || !scenario) {
  process.stderr.write('usage: crash-child.ts DIR SCENARIO\n');
  process.exit(2);
}
const [mode, at] = scenario.split(':') as [string, string];
const world = new World(join(dir, 'world.json'));
const h = makeHarness({ dir, world });
const hang = mode === 'hang-before' ? 'before-effect' : mode === 'hang-after' ? 'after-effect' : undefined;
const rb = fakeRunbook(
  ['one', 'two', 'three'].map((id, i) => ({
    id,
    params: { key: `k${i}`, value: 'v', ...(hang && id === at ? { hang } : {}) },
  })),
);
const planned = await h.engine.planRun(parseParams(rb, h.registry), 'lab');
if (!planned.ok) throw new Error(planned.error.message);
await h.engine.executeRun(planned.value, {
  confirmedEnvName: 'lab',
  onEvent: (e) => {
    if (mode !== 'boundary') return;
    if (at === 'start' && e.type === 'run-started') blockForever('BLOCKED start');
    if (e.type === 'step-finished' && e.stepId === at) blockForever(`BLOCKED ${at}`);
  },
});
process.stdout.write('FINISHED\n');
