/**
 * Send one DNS message to one server and wait for its reply: UDP with bounded retries, and TCP
 * (RFC 1035 §4.2.2 two-byte length prefix) when the reply is truncated (TC=1, RFC 7766 §5) or
 * the message does not fit a 512-byte datagram. The UDP socket is `connect()`ed, so the kernel
 * drops datagrams from any other address, and ICMP port-unreachable surfaces as ECONNREFUSED.
 */
import { createSocket } from 'node:dgram';
import { connect as tcpConnect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { DnsProviderError, describeNetworkError } from './dns-provider-error.ts';
import { type HostPort, resolveHostPort } from './parse-host-port.ts';

/** Options of `exchangeDnsMessage`. */
export interface DnsExchangeOptions {
  /** Per-attempt bound, ms (UDP attempt, or the whole TCP exchange). */
  timeoutMs: number;
  /** Extra UDP attempts after a timeout (the same bytes are re-sent). Default 0. */
  udpRetries?: number;
  /** `udp` (fallback to TCP on TC), or `tcp` only. Default `udp`. */
  transport?: 'udp' | 'tcp';
  signal?: AbortSignal;
  /**
   * Accept this datagram as the reply (ID, QR and question already checked by the caller's
   * rule). Rejected datagrams are ignored and waiting continues (RFC 5452 §9.1).
   */
  accept: (reply: Buffer) => boolean;
}

/** The reply and how it was obtained. */
export interface DnsExchangeResult {
  reply: Buffer;
  transport: 'udp' | 'tcp';
  /** From first send to the accepted reply, ms (includes retries and the TCP fallback). */
  latencyMs: number;
  /** UDP attempts made (0 when TCP only). */
  udpAttempts: number;
  /** The address used: `server`, or its name resolved (label `ns1.example.net (192.0.2.53):53`). */
  server: HostPort;
}

/** Largest message sent over UDP without EDNS (RFC 1035 §4.2.1). */
const UDP_LIMIT = 512;

/**
 * Exchange a message with `target` (a host name is resolved first, within `timeoutMs`).
 * @throws DnsProviderError `unreachable` (ECONNREFUSED/ECONNRESET…, message names the server),
 *   `timeout` ("no reply from 127.0.0.1:53 within 800 ms (2 attempts)"); rejects with
 *   `signal.reason` when aborted.
 */
export async function exchangeDnsMessage(
  target: HostPort,
  message: Buffer,
  opts: DnsExchangeOptions,
): Promise<DnsExchangeResult> {
  const t0 = performance.now();
  opts.signal?.throwIfAborted();
  // A name is looked up per exchange (no cache here: the system resolver has its own).
  const server = await resolveHostPort(target, {
    timeoutMs: opts.timeoutMs,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const useTcp = opts.transport === 'tcp' || message.length > UDP_LIMIT;
  let udpAttempts = 0;
  if (!useTcp) {
    const attempts = 1 + Math.max(0, opts.udpRetries ?? 0);
    const reply = await udpExchange(server, message, attempts, opts);
    udpAttempts = reply.attempts;
    if ((reply.reply.readUInt16BE(2) & 0x0200) === 0) {
      return { reply: reply.reply, transport: 'udp', latencyMs: performance.now() - t0, udpAttempts, server };
    }
  }
  const reply = await tcpExchange(server, message, opts);
  return { reply, transport: 'tcp', latencyMs: performance.now() - t0, udpAttempts, server };
}

function udpExchange(
  server: HostPort,
  message: Buffer,
  attempts: number,
  opts: DnsExchangeOptions,
): Promise<{ reply: Buffer; attempts: number }> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(server.family === 6 ? 'udp6' : 'udp4');
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (err: unknown, reply?: Buffer): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      try {
        sock.close();
      } catch {
        // already closed
      }
      if (err !== undefined) reject(err);
      else resolve({ reply: reply!, attempts: sent });
    };
    const onAbort = (): void => finish(opts.signal?.reason ?? new Error('aborted'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const sendOnce = (): void => {
      sent++;
      sock.send(message, (err) => {
        if (err) finish(unreachable(server, err));
      });
      timer = setTimeout(() => {
        if (sent < attempts) sendOnce();
        else
          finish(
            new DnsProviderError(
              'timeout',
              `no reply from ${server.label} within ${opts.timeoutMs} ms${sent > 1 ? ` (${sent} attempts)` : ''}`,
              'check that the server runs and listens on that address and port',
              { where: server.label },
            ),
          );
      }, opts.timeoutMs);
    };
    sock.on('error', (err) => finish(unreachable(server, err)));
    sock.on('message', (msg) => {
      if (msg.length >= 12 && opts.accept(msg)) finish(undefined, msg);
    });
    sock.connect(server.port, server.host, () => {
      if (!done) sendOnce();
    });
  });
}

function tcpExchange(server: HostPort, message: Buffer, opts: DnsExchangeOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = tcpConnect({ host: server.host, port: server.port, family: server.family });
    let done = false;
    let buf = Buffer.alloc(0);
    const finish = (err: unknown, reply?: Buffer): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      if (err !== undefined) reject(err);
      else resolve(reply!);
    };
    const onAbort = (): void => finish(opts.signal?.reason ?? new Error('aborted'));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () =>
        finish(
          new DnsProviderError(
            'timeout',
            `no reply from ${server.label} over TCP within ${opts.timeoutMs} ms`,
            'check that the server accepts TCP on that port',
            { where: server.label },
          ),
        ),
      opts.timeoutMs,
    );
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(message.length);
      sock.write(Buffer.concat([len, message]));
    });
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      // A server may send other messages first (not for a single query); skip unaccepted ones.
      while (buf.length >= 2) {
        const n = buf.readUInt16BE(0);
        if (buf.length < 2 + n) break;
        const msg = buf.subarray(2, 2 + n);
        buf = buf.subarray(2 + n);
        if (msg.length >= 12 && opts.accept(msg)) return finish(undefined, Buffer.from(msg));
      }
    });
    sock.on('error', (err) => finish(unreachable(server, err)));
    sock.on('close', () =>
      finish(
        new DnsProviderError('unreachable', `${server.label} closed the TCP connection without a reply`, undefined, {
          where: server.label,
        }),
      ),
    );
  });
}

function unreachable(server: HostPort, err: Error): DnsProviderError {
  const what = describeNetworkError(err);
  const text = what.includes(String(server.port)) ? what : `${what} ${server.label}`;
  return new DnsProviderError('unreachable', text, 'check that the server runs and listens on that address and port', {
    where: server.label,
    cause: err,
  });
}
