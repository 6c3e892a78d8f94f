/**
 * Read-back of a slot switch, shared by every router: the router's own state names the expected
 * slot, and traffic through the site's entry URL really reaches it — several answers in a row,
 * each on a new connection (a keep-alive socket could still be served by an old nginx worker
 * for a moment after a reload; lab recipe §4).
 *
 * The entry URL's JSON must carry `slot` (the lab app's `/health` does:
 * `{status, site, slot, version, dbRole}`).
 */
import { request } from 'node:http';
import type { Site } from '../config/workspace-schema.ts';
import { CommandLog } from '../platform/command-log.ts';
import type {
  EntryAnswer,
  LiveSlotReading,
  RouterCommand,
  SlotVerification,
  VerifySlotOptions,
} from './slot-router.ts';

/** Largest body read, bytes. */
const MAX_BODY = 16 * 1024;

/**
 * One `GET url` on a new connection (no keep-alive). Resolves, never rejects: no response →
 * `status: null` with `error`. `slot` is the JSON body's `slot` string, else null.
 */
export function getEntrySlot(
  url: string,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<EntryAnswer> {
  const t0 = performance.now();
  const timeoutMs = options.timeoutMs ?? 1000;
  return new Promise((resolve) => {
    let done = false;
    const finish = (a: Omit<EntryAnswer, 'latencyMs'>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ ...a, latencyMs: Math.round(performance.now() - t0) });
    };
    const req = request(
      url,
      {
        method: 'GET',
        agent: false,
        headers: { accept: 'application/json', connection: 'close', 'user-agent': 'standby-verify/0.1' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (d: Buffer) => {
          size += d.length;
          if (size <= MAX_BODY) chunks.push(d);
        });
        res.on('end', () => {
          let slot: string | null = null;
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
            if (body && typeof body === 'object' && typeof (body as { slot?: unknown }).slot === 'string')
              slot = (body as { slot: string }).slot;
          } catch {
            /* not JSON: slot stays null */
          }
          finish({ status: res.statusCode ?? null, slot });
        });
        res.on('error', (e) => finish({ status: res.statusCode ?? null, slot: null, error: e.message }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy(new Error(`timeout after ${timeoutMs} ms`));
    }, timeoutMs);
    const onAbort = (): void => {
      req.destroy(new Error('aborted'));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (e: NodeJS.ErrnoException) =>
      finish({ status: null, slot: null, error: e.code ? `${e.code} ${e.message}` : e.message }),
    );
    req.end();
  });
}

/**
 * Verifies that `expected` is live on `site`: `read.readLiveSlot()` (which runs `read.command` on
 * `read.target`, recorded as such) must name it, then the entry URL
 * must answer `consecutive` (default 3) times in a row with 2xx and `slot: expected`, within
 * `timeoutMs` (default 5000; at most 200 requests, 50 ms apart). Resolves with the verdict;
 * rejects only when `readLiveSlot` rejects.
 */
export async function verifySlotLive(
  site: Site,
  read: { command: string; target: string; readLiveSlot: (signal?: AbortSignal) => Promise<LiveSlotReading> },
  expected: string,
  options: VerifySlotOptions = {},
  log: CommandLog<RouterCommand> = new CommandLog<RouterCommand>(),
): Promise<SlotVerification> {
  const need = Math.max(1, options.consecutive ?? 3);
  const timeoutMs = options.timeoutMs ?? 5000;
  const url = site.router.entryUrl;
  const origin = new URL(url).origin;
  const answers: EntryAnswer[] = [];
  const reading = await log.run(
    { kind: 'shell', target: read.target, text: read.command },
    () => read.readLiveSlot(options.signal),
    (r) => `${r.liveSlot ?? 'none'}: ${r.evidence}`,
  );
  const out = (verified: boolean, evidence: string, reason?: string): SlotVerification => ({
    verified,
    expected,
    reading,
    answers: answers.slice(-20),
    evidence,
    ...(reason !== undefined ? { reason } : {}),
    commands: log.commands,
  });
  if (reading.liveSlot !== expected) {
    return out(
      false,
      `router: ${reading.evidence}`,
      `the router names ${reading.liveSlot ?? 'no single slot'}${reading.reason ? ` (${reading.reason})` : ''}, not ${expected}`,
    );
  }
  const t0 = performance.now();
  let run = 0;
  for (let i = 0; i < 200 && performance.now() - t0 < timeoutMs; i++) {
    options.signal?.throwIfAborted();
    const a = await getEntrySlot(url, {
      timeoutMs: options.requestTimeoutMs ?? 1000,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    answers.push(a);
    const good = a.status !== null && a.status >= 200 && a.status < 300 && a.slot === expected;
    run = good ? run + 1 : 0;
    if (run >= need) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const tail = answers.slice(-need);
  log.commands.push({
    kind: 'http',
    target: origin,
    text: `GET ${url} (new connection each) × ${answers.length}`,
    durationMs: Math.round(performance.now() - t0),
    outcome: tail.map((a) => `${a.status ?? a.error ?? 'no answer'} slot=${a.slot ?? '-'}`).join('; '),
  });
  if (run >= need)
    return out(true, `router: ${reading.evidence}; ${need} consecutive answers of ${url} name slot ${expected}`);
  const last = answers.at(-1);
  return out(
    false,
    `router: ${reading.evidence}; entry answers: ${tail.map((a) => `${a.status ?? a.error ?? '?'}/${a.slot ?? '-'}`).join(', ')}`,
    last && last.status !== null && last.slot === null
      ? `${url} answers without a "slot" in its JSON: cannot confirm which slot serves`
      : `${url} did not answer ${need} times in a row with slot ${expected} within ${timeoutMs} ms`,
  );
}
