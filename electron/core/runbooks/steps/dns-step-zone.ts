/**
 * The DNS steps' door to `dns/`: a step context as the {@link DnsZoneContext} the multi-provider
 * read / write / wait functions take, and a write at every provider whose failure is a StepError
 * (the engine's retry rule reads its kind and `retryable`).
 */
import { z } from 'zod';
import type { RecordConfig } from '../../config/workspace-schema.ts';
import type { DnsRecordSet } from '../../dns/dns-provider.ts';
import type { DnsZoneContext } from '../../dns/record-set-views.ts';
import { writeRecordSets, type WriteOptions } from '../../dns/write-record-sets.ts';
import { StepError } from '../step-error.ts';
import type { StepContext, StepProgress } from '../step-kind.ts';
import { stepService } from '../step-services.ts';
import { recordOf } from './step-lookup.ts';

/**
 * The record params the DNS steps share: one record (`record: app.lab.test`, the original form)
 * or a list (`records: [app.lab.test, api.lab.test]`) handled in one step — so a failback that
 * moves N records lowers every TTL first and drains the old TTL once, not N times.
 */
export const recordListParams = {
  /** One record of the environment (`records[].name`), e.g. `app.lab.test`. */
  record: z.string().min(1).optional(),
  /** Several records of the environment, each handled as `record` is (no duplicates). */
  records: z
    .array(z.string().min(1))
    .min(1)
    .max(100)
    .refine((a) => new Set(a.map((n) => n.replace(/\.$/, '').toLowerCase())).size === a.length, {
      message: 'a record is listed twice',
    })
    .optional(),
};

/** "Exactly one of `record` / `records`", for `.refine(hasOneRecordForm, oneRecordFormIssue)`. */
export const hasOneRecordForm = (p: { record?: string | undefined; records?: string[] | undefined }): boolean =>
  (p.record === undefined) !== (p.records === undefined);
/** The issue {@link hasOneRecordForm} raises. */
export const oneRecordFormIssue = {
  message: 'give exactly one of "record" (one name) or "records" (a list of names)',
  path: ['record'],
};

/** The record names a step's params name, in order (`record` as a one-element list). */
export function recordNames(p: { record?: string | undefined; records?: string[] | undefined }): string[] {
  return p.records ?? (p.record !== undefined ? [p.record] : []);
}

/** Step references naming every record, with the path validate reports (`record` or `records.<i>`). */
export function recordReferences(p: {
  record?: string | undefined;
  records?: string[] | undefined;
}): { kind: 'record'; name: string; path: (string | number)[] }[] {
  if (p.records) return p.records.map((name, i) => ({ kind: 'record' as const, name, path: ['records', i] }));
  return p.record !== undefined ? [{ kind: 'record' as const, name: p.record, path: ['record'] }] : [];
}

/** `text` about one record of a step: prefixed with the record's name when the step names several. */
export function aboutRecord(
  p: { record?: string | undefined; records?: string[] | undefined },
  rec: RecordConfig,
  text: string,
): string {
  return recordNames(p).length > 1 ? `${rec.name}: ${text}` : text;
}

/**
 * The environment's records the params name, in order.
 * @throws StepError `invalid-input` naming the first unknown record (and the names that exist).
 */
export function stepRecords(
  ctx: StepContext,
  p: { record?: string | undefined; records?: string[] | undefined },
): RecordConfig[] {
  return recordNames(p).map((n) => recordOf(ctx.env, n));
}

/**
 * The environment's DNS providers (with their workspace config), nameserver queries, and the
 * step's signal, clock, sleep and log.
 * @throws StepError `internal` when the run target has no DNS service.
 */
export function stepDnsZone(ctx: StepContext): DnsZoneContext {
  const dns = stepService(ctx, 'dns');
  return {
    providers: dns.providers,
    configs: ctx.env.dnsProviders,
    query: (server, fqdn, type, opts) => dns.query(server, fqdn, type, opts),
    signal: ctx.signal,
    now: () => ctx.now(),
    sleep: (ms) => ctx.sleep(ms),
    log: ctx.log,
  };
}

/**
 * Writes `want` at every provider it names (see `writeRecordSets`), reporting each change.
 * @returns the names of the providers this call changed.
 * @throws StepError naming every provider that failed and who holds and serves what now;
 *         retryable when every failure was transient.
 */
export async function writeEveryProvider(
  ctx: StepContext,
  rec: RecordConfig,
  want: ReadonlyMap<string, DnsRecordSet | null>,
  o: WriteOptions,
  progress: (p: StepProgress) => void,
): Promise<{ changed: string[] }> {
  const { changed, failure } = await writeRecordSets(stepDnsZone(ctx), rec, want, o, progress);
  if (failure)
    throw new StepError(failure.kind, failure.message, {
      hint: failure.hint,
      where: failure.where,
      retryable: failure.retryable,
    });
  return { changed };
}
