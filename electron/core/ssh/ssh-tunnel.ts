/**
 * Local port forwarding, like `ssh -L 127.0.0.1:0:targetHost:targetPort`: a listener on an
 * ephemeral loopback port whose every connection is carried to `targetHost:targetPort` as seen
 * from the SSH host, through a `direct-tcpip` channel (`forwardOut`) of the pooled connection.
 */
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import type { SshConfig } from '../config/workspace-schema.ts';
import { SshError } from './ssh-error.ts';
import { sshTarget } from './ssh-pool.ts';
import type { SshPool } from './ssh-pool.ts';

/** An open local forward. */
export interface Tunnel {
  /** Always the IPv4 loopback: the listener is never exposed beyond this machine. */
  readonly host: '127.0.0.1';
  /** Local ephemeral port to connect to. */
  readonly port: number;
  /**
   * Why the most recent forwarded connection could not be carried (SSH unreachable, sshd refused
   * the channel: `PermitOpen`/`AllowTcpForwarding`), or null once one succeeded. Clients of the
   * tunnel only see a closed socket; this says why.
   */
  readonly lastError: SshError | Error | null;
  /** Stops listening and destroys every forwarded connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens a local forward to `targetHost:targetPort` via the SSH target `cfg`. The SSH connection
 * is taken from `pool` per incoming connection, so the tunnel survives SSH reconnects.
 * Resolves once listening; rejects only if the local listener cannot be opened. Connection
 * failures later are reported per connection (closed socket + {@link Tunnel.lastError}).
 *
 * Note: like `ssh -L`, any local process may connect to the port while it is open.
 */
export async function openTunnel(
  pool: SshPool,
  cfg: SshConfig,
  targetHost: string,
  targetPort: number,
): Promise<Tunnel> {
  const where = sshTarget(cfg);
  const sockets = new Set<Socket>();
  let lastError: SshError | Error | null = null;
  let closed = false;

  const server = createServer((sock) => {
    if (closed) return void sock.destroy();
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => sock.destroy());
    // The socket stays paused (no 'data' listener yet), so bytes the client sends first
    // (PostgreSQL's startup packet) wait until the channel is there.
    pool.client(cfg).then(
      (client) => {
        if (closed || sock.destroyed) return void sock.destroy();
        client.forwardOut(
          sock.remoteAddress ?? '127.0.0.1',
          sock.remotePort ?? 0,
          targetHost,
          targetPort,
          (err, stream) => {
            if (err) {
              // OpenSSH answers SSH_OPEN_ADMINISTRATIVELY_PROHIBITED (reason 1) for PermitOpen.
              const reason = (err as Error & { reason?: number }).reason;
              lastError = new SshError(
                reason === 1 ? 'auth' : 'unreachable',
                reason === 1
                  ? `${where} refused to forward to ${targetHost}:${targetPort} (administratively prohibited: PermitOpen / AllowTcpForwarding)`
                  : `${where} could not open a forward to ${targetHost}:${targetPort}: ${err.message}`,
                reason === 1
                  ? `allow it in sshd_config: PermitOpen ${targetHost}:${targetPort}`
                  : `check that ${targetHost}:${targetPort} listens on the SSH host`,
                where,
                { cause: err },
              );
              sock.destroy();
              return;
            }
            if (closed || sock.destroyed) {
              stream.close();
              sock.destroy();
              return;
            }
            lastError = null;
            stream.on('error', () => sock.destroy());
            stream.on('close', () => sock.destroy());
            sock.on('close', () => stream.close());
            sock.pipe(stream).pipe(sock);
          },
        );
      },
      (err: Error) => {
        lastError = err;
        sock.destroy();
      },
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('tunnel listener has no TCP address');

  return {
    host: '127.0.0.1',
    port: address.port,
    get lastError() {
      return lastError;
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
