/**
 * Registry of step kinds: runbooks name a kind, the loader validates params with the kind's
 * schema, and the engine looks the implementation up by name.
 */
import type { StepKind } from './step-kind.ts';

/** Kind names: a lowercase domain, a dot, a lowercase verb phrase (`dns.set-records`), or one word (`wait`). */
const kindName = /^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)?$/;

/** Step kinds by name. */
export class StepRegistry {
  readonly #kinds = new Map<string, StepKind>();

  /**
   * Registers a kind.
   * @throws Error when the name is malformed or already registered (two files claiming one
   *         kind is a programming error, not a runtime condition).
   */
  register(kind: StepKind): this {
    if (!kindName.test(kind.kind))
      throw new Error(`step kind name "${kind.kind}" is malformed (use e.g. "dns.set-records")`);
    if (this.#kinds.has(kind.kind)) throw new Error(`step kind "${kind.kind}" is registered twice`);
    this.#kinds.set(kind.kind, kind);
    return this;
  }

  /** The kind named `name`, or undefined. */
  get(name: string): StepKind | undefined {
    return this.#kinds.get(name);
  }

  /** Registered kind names, sorted (for hints such as "use one of: …"). */
  names(): string[] {
    return [...this.#kinds.keys()].sort();
  }
}

/** A registry holding `kinds` (e.g. every file of steps/, imported by the core). */
export function createStepRegistry(kinds: readonly StepKind[] = []): StepRegistry {
  const r = new StepRegistry();
  for (const k of kinds) r.register(k);
  return r;
}
