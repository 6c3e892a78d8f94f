/**
 * DEV ONLY — a tiny stand-in for `standby serve` to look at the dashboard without the lab.
 * Serves a built renderer and answers the contract over a WebSocket with the fixture snapshot,
 * pushing a snapshot and lag samples every second. Not used by any test.
 *
 *   node_modules/.bin/vite build renderer --config renderer/vite.config.ts --outDir /tmp/renderer-out
 *   node_modules/.bin/node renderer/dev/fake-host.ts [--dir /tmp/renderer-out] [--port 5178]
 *       [--token dev-token] [--scenario healthy|incident] [--freeze-after SECONDS]
 *       [--runs history|interrupted|none] [--fail-dns]
 *   open http://127.0.0.1:5178/?token=dev-token
 *
 * Like the real host, a WebSocket upgrade (and a plain GET of /ws) with a wrong token gets
 * HTTP 401. `--freeze-after` stops pushes after N seconds (to see stale data).
 * Runs: a scripted engine (fixture-runs.ts) answers the run methods and pushes `run` events;
 * `--runs interrupted` seeds a run whose console was killed (stale lock); `--fail-dns` makes
 * bind fail during the switchover's DNS step.
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocketServer, type WebSocket } from 'ws';
import { consoleApi, wsClientMessage, type WsServerMessage } from '../../shared/contract/index.ts';
import type { SeriesPoint } from '../../shared/status.ts';
import { downsampleMinMax } from '../src/lib/downsample.ts';
import { FakeRunEngine } from './fixture-runs.ts';
import { labLag, labSnapshot, labWorkspace, type Scenario } from './fixture-snapshot.ts';

const { values: opt } = parseArgs({
  options: {
    dir: { type: 'string', default: '/tmp/renderer-out' },
    port: { type: 'string', default: '5178' },
    token: { type: 'string', default: 'dev-token' },
    scenario: { type: 'string', default: 'healthy' },
    'freeze-after': { type: 'string' },
    runs: { type: 'string', default: 'history' },
    'fail-dns': { type: 'boolean', default: false },
  },
});
const dir = resolve(opt.dir!);
const scenario = opt.scenario as Scenario;
const freezeAt = opt['freeze-after'] ? Date.now() + Number(opt['freeze-after']) * 1000 : Infinity;
const types: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

const tokenOf = (url: URL): string | null => url.searchParams.get('token');

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/ws') {
    res.writeHead(tokenOf(url) === opt.token ? 426 : 401, { 'content-type': 'text/plain' });
    res.end(tokenOf(url) === opt.token ? 'upgrade required\n' : 'token refused\n');
    return;
  }
  const rel = url.pathname === '/' ? '/index.html' : decodeURIComponent(url.pathname);
  const file = normalize(join(dir, rel));
  if (!file.startsWith(dir + sep)) {
    res.writeHead(404).end();
    return;
  }
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(body);
  } catch {
    res.writeHead(404).end('not found\n');
  }
});

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== '/ws' || tokenOf(url) !== opt.token) {
    socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => onClient(ws));
});

const send = (ws: WebSocket, m: WsServerMessage): void => {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
};

const runs = new FakeRunEngine({
  emit: (e) => {
    for (const ws of wss.clients) send(ws, { type: 'event', name: 'run', payload: e });
  },
  failDns: opt['fail-dns'] === true,
  seed: opt.runs as 'history' | 'interrupted' | 'none',
  rtoSeconds: 60,
});

/** The run half of the contract, answered by the scripted engine. */
async function runMethod(method: string, a: Record<string, unknown>): Promise<unknown> {
  const okv = (value: unknown) => ({ ok: true, value });
  switch (method) {
    case 'listRunbooks':
      return okv(runs.listRunbooks());
    case 'planRun':
      return runs.planRun(String(a.env), String(a.runbook));
    case 'executeRun':
      return runs.executeRun(String(a.planId), String(a.confirmation), (a.overrides ?? []) as never);
    case 'resumeRun':
      return runs.resumeRun(String(a.runId));
    case 'approveStep':
      return runs.approveStep(String(a.runId), String(a.stepId));
    case 'abortRun':
      return runs.abortRun(String(a.runId));
    case 'rollbackRun':
      return runs.rollbackRun(String(a.runId));
    case 'listRuns':
      return okv(runs.listRuns());
    case 'getRun':
      return runs.getRun(String(a.runId));
    case 'getLock':
      return okv(runs.getLock());
    case 'breakLock':
      return runs.breakLock(String(a.reason));
    default:
      return { ok: false, error: { kind: 'unsupported', message: `fake host: ${method} not implemented` } };
  }
}

function history(metric: string, key: string, sinceMs: number, maxPoints: number): SeriesPoint[] {
  if (key !== 'pg-replica' || metric === 'probe-latency-ms') return [];
  const now = Date.now();
  const points: SeriesPoint[] = [];
  for (let t = Math.max(sinceMs, now - 3_600_000); t <= now; t += 1000) {
    // a 40 s gap 25 minutes ago (replica restarted) to show how gaps look
    const gap = t > now - 25 * 60_000 && t < now - 25 * 60_000 + 40_000;
    const lag = labLag(t);
    points.push({ t, v: gap || scenario === 'incident' && t > now - 14_000 ? null : metric === 'replication-lag-bytes' ? lag.bytes : lag.seconds });
  }
  return downsampleMinMax(points, maxPoints);
}

function onClient(ws: WebSocket): void {
  ws.on('message', (data) => {
    const msg = wsClientMessage.safeParse(JSON.parse(String(data)));
    if (!msg.success) {
      send(ws, { type: 'error', error: { kind: 'invalid-input', message: 'bad message' } });
      return;
    }
    const { id, method, args } = msg.data;
    const schema = (consoleApi as Record<string, { safeParse(a: unknown): { success: boolean; data?: unknown } }>)[method];
    const parsed = schema?.safeParse(args);
    if (!schema || !parsed?.success) {
      send(ws, { type: 'result', id, result: { ok: false, error: { kind: 'invalid-input', message: `bad call ${method}` } } });
      return;
    }
    const a = parsed.data as Record<string, unknown>;
    // answer a little later, like a real host
    setTimeout(() => {
      if (method === 'getWorkspace') send(ws, { type: 'result', id, result: { ok: true, value: labWorkspace } });
      else if (method === 'getSnapshot') {
        if (a.env !== 'lab') send(ws, { type: 'result', id, result: { ok: false, error: { kind: 'unreachable', message: `environment ${String(a.env)}: the poller has not produced a snapshot (all targets unreachable)`, hint: 'check the lab is up: npm run lab -- status', where: `environments.${String(a.env)}` } } });
        else send(ws, { type: 'result', id, result: { ok: true, value: labSnapshot(Date.now(), scenario) } });
      } else if (method === 'getSeries') {
        const points = history(String(a.metric), String(a.key), Number(a.sinceMs), Number(a.maxPoints));
        send(ws, { type: 'result', id, result: { ok: true, value: { metric: a.metric, key: a.key, points } } });
      } else {
        void runMethod(method, a).then((result) => send(ws, { type: 'result', id, result: result as never }));
      }
    }, 40);
  });
}

setInterval(() => {
  const t = Date.now();
  if (t > freezeAt) return;
  const snapshot = labSnapshot(t, scenario);
  const lag = labLag(t);
  const dead = scenario === 'incident';
  for (const ws of wss.clients) {
    send(ws, { type: 'event', name: 'snapshot', payload: { env: 'lab', snapshot } });
    send(ws, { type: 'event', name: 'samples', payload: { env: 'lab', metric: 'replication-lag-bytes', key: 'pg-replica', points: [{ t, v: dead ? null : lag.bytes }] } });
    send(ws, { type: 'event', name: 'samples', payload: { env: 'lab', metric: 'replication-lag-seconds', key: 'pg-replica', points: [{ t, v: dead ? null : lag.seconds }] } });
  }
}, 1000);

server.listen(Number(opt.port), '127.0.0.1', () => {
  console.log(`fake host (${scenario}) on http://127.0.0.1:${opt.port}/?token=${opt.token}  serving ${dir}`);
});
