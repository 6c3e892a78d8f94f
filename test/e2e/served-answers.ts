/**
 * What both DNS providers' authoritative nameservers serve, asked with `dig` outside Standby
 * (the e2e proof that a failover really moved DNS).
 */
import { spawnSync } from 'node:child_process';
import type { Lab } from '../lab/lab.ts';

/** `dig +short` for app.lab.test A at 127.0.0.1:`port` (one try, 1 s): the answer, or ''. */
export function digApp(port: string): string {
  return spawnSync('dig', ['+short', '+norec', '+time=1', '+tries=1', '@127.0.0.1', '-p', port, 'app.lab.test', 'A'], {
    encoding: 'utf8',
  }).stdout.trim();
}

/**
 * Polls PowerDNS and BIND (every 100 ms, ≤ 100 tries, until `sinceMs + boundMs`) until both
 * serve `address`. @returns the last answers [powerdns, bind] and the ms since `sinceMs`.
 */
export async function awaitBothServe(
  lab: Lab,
  address: string,
  sinceMs: number,
  boundMs = 10_000,
): Promise<{ served: string[]; ms: number }> {
  let served: string[] = [];
  for (let i = 0; i < 100 && Date.now() - sinceMs < boundMs; i++) {
    served = [digApp(lab.ports.PDNS_DNS_PORT!), digApp(lab.ports.BIND_DNS_PORT!)];
    if (served.every((a) => a === address)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { served, ms: Date.now() - sinceMs };
}
