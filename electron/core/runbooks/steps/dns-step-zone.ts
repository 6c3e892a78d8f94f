/**
 * The DNS steps' door to `dns/`: a step context as the {@link DnsZoneContext} the multi-provider
 * read / write / wait functions take, and a write at every provider whose failure is a StepError
 * (the engine's retry rule reads its kind and `retryable`).
 */
import type { RecordConfig } from '../../config/workspace-schema.ts';
import type { DnsRecordSet } from '../../dns/dns-provider.ts';
import type { DnsZoneContext } from '../../dns/record-set-views.ts';
import { writeRecordSets, type WriteOptions } from '../../dns/write-record-sets.ts';
import { StepError } from '../step-error.ts';
import type { StepContext, StepProgress } from '../step-kind.ts';
import { stepService } from '../step-services.ts';

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
