/**
 * The one place a site's slot router is built: `site.router.kind` → router class (one file per
 * real system under routers/). No I/O happens here; commands go through the shared SSH pool.
 */
import type { Site } from '../config/workspace-schema.ts';
import type { SshPool } from '../ssh/ssh-pool.ts';
import { HaproxyRouter } from './routers/haproxy.ts';
import { NginxRouter } from './routers/nginx.ts';
import type { SlotRouter } from './slot-router.ts';

/**
 * Router of a site by its configured kind.
 * @param timeoutMs bound of one router read over SSH, ms (router default when absent: 5000).
 * @throws Error when the router refuses the site's configuration.
 */
export function createSlotRouter(site: Site, pool: SshPool, timeoutMs?: number): SlotRouter {
  const opts = { site, pool, ...(timeoutMs !== undefined ? { timeoutMs } : {}) };
  switch (site.router.kind) {
    case 'nginx':
      return new NginxRouter(opts);
    case 'haproxy':
      return new HaproxyRouter(opts);
  }
}
