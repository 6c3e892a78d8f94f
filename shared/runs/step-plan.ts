/**
 * What one step will do, computed from live state before it acts (plain JSON data: it is shown
 * in the plan view, stored in the journal, and judged by the safety rules). No Node imports, so
 * it can move to shared/ with the run contract.
 */

/** One observable change, as the operator reads it: `target` goes from `before` to `after`. */
export interface StepChange {
  /** What changes, e.g. `powerdns: app.lab.test A`, `pg-replica role`, `primary live slot`. */
  target: string;
  /** Current value as read from the live system; `null` = absent; `'unknown'` when unreadable. */
  before: string | null;
  after: string | null;
}

/**
 * Machine-readable meaning of a step, for the safety rules (electron/core/runbooks/safety-rules.ts).
 * Step kinds declare every effect they have; a step with no effects is not judged by any rule.
 * - `dns-point`: `record` will serve `values`, which are the address of `toSite` (`null` when they
 *   match no site's address; an empty `values` removes the record set).
 * - `slot-drain`: `slot` of `site` stops taking traffic.
 * - `slot-switch`: the router of `site` sends traffic to `toSlot` instead of `fromSlot`.
 * - `db-fence`: database node `node` is made unable to accept writes (stopped or read-only).
 *   `unverifiable` is set (why) when the node cannot be asked at plan time (its SSH host or
 *   port is unreachable: the primary site is down): the fence will then most likely not be
 *   verified, and a promotion after it needs a `fence-before-promote` override (break-glass).
 * - `db-promote`: database node `node` becomes a writable primary.
 * - `db-await-lag`: waits until `node`'s replication lag is ≤ the bounds (null = no bound), s / bytes.
 * - `health-gate`: waits until `site`'s entry (or `slot`) is healthy; fails the run otherwise.
 */
export type StepEffect =
  | { type: 'dns-point'; record: string; toSite: string | null; values: string[] }
  | { type: 'slot-drain'; site: string; slot: string }
  | { type: 'slot-switch'; site: string; fromSlot: string | null; toSlot: string }
  | { type: 'db-fence'; node: string; unverifiable?: string }
  | { type: 'db-promote'; node: string }
  | { type: 'db-await-lag'; node: string; maxLagSeconds: number | null; maxLagBytes: number | null }
  | { type: 'health-gate'; site: string; slot: string | null };

/** A step kind's plan: what it will change and exactly how. */
export interface StepPlan {
  /** Before → after per target (DNS diff per provider, role change, slot change). */
  changes: StepChange[];
  /** The exact commands it will issue: SQL text, SSH command lines, HTTP API calls. */
  commands: string[];
  /** True when the effect is already in place (the step will be skipped, and say so). */
  alreadyDone: boolean;
  /** Anything the operator should know (waits it will do, assumptions, unreachable parts). */
  notes: string[];
  /** What the safety rules judge. Empty when the step changes nothing they cover. */
  effects: StepEffect[];
}
