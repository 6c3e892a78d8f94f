/**
 * Child process of step-state.test.ts: runs a one-step `fake.remember` runbook on the store in
 * DIR whose first act sets its state and then blocks the thread, printing `SET attempts=1`,
 * so the parent can SIGKILL it right after the `set`.
 * Usage: node step-state-child.ts DIR
 */
import { fakeRunbook, makeHarness, parseParams } from './fakes.ts';
import { rememberKind } from './step-state-kind.ts';

const [dir] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: step-state-child.ts DIR\n');
  process.exit(2);
}
const h = makeHarness({ dir, kinds: [rememberKind] });
const rb = fakeRunbook([
  { id: 'remember', kind: 'fake.remember', params: { succeedOnAttempt: 2, hangAfterSet: true } },
]);
const planned = await h.engine.planRun(parseParams(rb, h.registry), 'lab');
if (!planned.ok) throw new Error(planned.error.message);
await h.engine.executeRun(planned.value, { confirmedEnvName: 'lab' });
process.stdout.write('FINISHED\n');
