/**
 * Every built-in step kind (one file each in ./steps/), and a registry holding them. Runbooks
 * name these kinds; their params schemas are what the runbook loader validates. The kinds need
 * the environment's services (environment/environment-services.ts) as `RunTarget.services`.
 */
import type { StepKind } from './step-kind.ts';
import { createStepRegistry, type StepRegistry } from './step-registry.ts';
import { approvalKind } from './steps/approval.ts';
import { dbAwaitLagKind } from './steps/db-await-lag.ts';
import { dbFenceKind } from './steps/db-fence.ts';
import { dbPromoteKind } from './steps/db-promote.ts';
import { dbRejoinKind } from './steps/db-rejoin.ts';
import { dnsSetRecordsKind } from './steps/dns-set-records.ts';
import { dnsSetTtlKind } from './steps/dns-set-ttl.ts';
import { httpAwaitHealthyKind } from './steps/http-await-healthy.ts';
import { sshRunKind } from './steps/ssh-run.ts';
import { trafficSwitchSlotKind } from './steps/traffic-switch-slot.ts';
import { waitKind } from './steps/wait.ts';

/**
 * The built-in kinds: `dns.set-records`, `dns.set-ttl`, `db.await-lag`, `db.fence`,
 * `db.promote`, `db.rejoin`, `traffic.switch-slot`, `http.await-healthy`, `ssh.run`,
 * `approval`, `wait`.
 */
export const builtinStepKinds: readonly StepKind[] = [
  dnsSetRecordsKind,
  dnsSetTtlKind,
  dbAwaitLagKind,
  dbFenceKind,
  dbPromoteKind,
  dbRejoinKind,
  trafficSwitchSlotKind,
  httpAwaitHealthyKind,
  sshRunKind,
  approvalKind,
  waitKind,
];

/**
 * A registry with every built-in kind plus `extra` ones.
 * @throws Error when an extra kind's name is malformed or already taken.
 */
export function createBuiltinStepRegistry(extra: readonly StepKind[] = []): StepRegistry {
  return createStepRegistry([...builtinStepKinds, ...extra]);
}
