/**
 * The layer rules of eslint.config.js, proved on virtual files: every rule refuses its bad import
 * and lets the matching good one through. The files do not exist; ESLint places them by path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const eslint = new ESLint({ cwd: root });

/** Rules that guard imports; other findings (unused imports in the snippets) are not the point. */
const layerRule = /^(?:no-restricted-imports|layers\/.+|sdk\/.+)$/;

/** Rule ids that fire on `code` placed at `file` (relative to the project root). */
async function firing(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${file}` });
  assert.ok(result, `no lint result for ${file}`);
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], `${file} did not parse`);
  return result.messages.map((m) => m.ruleId ?? '').filter((id) => layerRule.test(id));
}

async function refuses(file: string, code: string, rule: string): Promise<void> {
  assert.deepEqual(await firing(file, code), [rule], `${file}: expected ${rule} on ${code}`);
}

async function allows(file: string, code: string): Promise<void> {
  assert.deepEqual(await firing(file, code), [], `${file}: expected no layer error on ${code}`);
}

test('electron/** never imports test/**, statically or with import()', async () => {
  await refuses(
    'electron/core/monitor/x.ts',
    "import { lab } from '../../../test/support/lab.ts';",
    'layers/no-test-import',
  );
  await refuses(
    'electron/cli/commands/lab.ts',
    "export const up = () => import('../../../test/lab/lab-cli.ts');",
    'layers/no-test-dynamic-import',
  );
  await refuses('electron/main/x.ts', "export * from '../../test/support/x.ts';", 'layers/no-test-import');
  await allows('electron/cli/commands/serve.ts', "import { createCore } from '../../core/create-core.ts';");
  await allows('electron/cli/x.ts', "import { test } from 'node:test';");
});

test('a core domain does not import upward (environment, capabilities)', async () => {
  await refuses(
    'electron/core/dns/x.ts',
    "import { runEngine } from '../runbooks/run-engine.ts';",
    'layers/core-floors',
  );
  await refuses(
    'electron/core/dns/x.ts',
    "import { EnvironmentMonitor } from '../monitor/environment-monitor.ts';",
    'layers/core-floors',
  );
  await refuses(
    'electron/core/dns/providers/x.ts',
    "import type { EnvironmentServices } from '../../environment/environment-services.ts';",
    'layers/core-floors',
  );
  await refuses(
    'electron/core/traffic/routers/x.ts',
    "import { x } from '../../../../electron/core/runbooks/x.ts';",
    'layers/core-floors',
  );
  await allows('electron/core/dns/x.ts', "import { describeDetection } from '../health/detection-time.ts';");
  await allows(
    'electron/core/dns/providers/x.ts',
    "import type { Environment } from '../../config/workspace-schema.ts';",
  );
  await allows('electron/core/dns/x.ts', "import { toOpError } from '../platform/op-error.ts';");
  await allows('electron/core/dns/x.ts', "import type { DnsRecordStatus } from '../../../shared/status.ts';");
});

test('domains import each other only downward, so no cycle can form', async () => {
  await refuses('electron/core/ssh/x.ts', "import { x } from '../database/x.ts';", 'layers/core-floors');
  await refuses('electron/core/database/x.ts', "import { x } from '../traffic/x.ts';", 'layers/core-floors');
  await refuses('electron/core/config/x.ts', "import { x } from '../secrets/x.ts';", 'layers/core-floors');
  await allows('electron/core/database/adapters/x.ts', "import { sshExec } from '../../ssh/ssh-exec.ts';");
  await allows('electron/core/traffic/x.ts', "import { x } from '../ssh/x.ts';");
  await allows('electron/core/ssh/x.ts', "import { resolveSecret } from '../secrets/resolve-secret.ts';");
});

test('platform/ imports no other core folder', async () => {
  await refuses(
    'electron/core/platform/observed-source.ts',
    "import type { Environment } from '../config/workspace-schema.ts';",
    'layers/core-floors',
  );
  await refuses('electron/core/platform/x.ts', "import { x } from '../dns/x.ts';", 'layers/core-floors');
  await allows(
    'electron/core/platform/observed-source.ts',
    "import { fail } from '../../../shared/result.ts';\nimport { wrap } from 'cockatiel';",
  );
});

test('environment/ sits on the domains and below every capability', async () => {
  await refuses('electron/core/environment/x.ts', "import { x } from '../monitor/x.ts';", 'layers/core-floors');
  await refuses(
    'electron/core/environment/x.ts',
    "import type { StepKind } from '../runbooks/step-kind.ts';",
    'layers/core-floors',
  );
  await allows(
    'electron/core/environment/x.ts',
    "import { createDnsProvider } from '../dns/create-dns-provider.ts';\nimport { request } from 'undici';",
  );
});

test('capabilities do not import each other', async () => {
  await refuses(
    'electron/core/runbooks/x.ts',
    "import { x } from '../monitor/environment-monitor.ts';",
    'layers/core-floors',
  );
  await refuses('electron/core/drills/x.ts', "import { x } from '../runbooks/run-engine.ts';", 'layers/core-floors');
  await refuses('electron/core/a-new-folder/x.ts', "import { x } from '../monitor/x.ts';", 'layers/core-floors');
  await allows(
    'electron/core/runbooks/steps/x.ts',
    "import type { EnvironmentServices } from '../../environment/environment-services.ts';\nimport { x } from '../../dns/x.ts';",
  );
});

test('only the hosts and the CLI import create-core.ts', async () => {
  await refuses('electron/core/monitor/x.ts', "import { createCore } from '../create-core.ts';", 'layers/core-floors');
  await refuses(
    'electron/core/api/x.ts',
    "import { x } from '../../headless/headless-server.ts';",
    'layers/core-floors',
  );
  await allows('electron/headless/x.ts', "import { createCore } from '../core/create-core.ts';");
  await allows('electron/main/x.ts', "import { createCore } from '../core/create-core.ts';");
});

test('each SDK is imported only by its adapter files', async () => {
  await refuses('electron/core/monitor/x.ts', "import pg from 'pg';", 'sdk/pg');
  await refuses('electron/core/database/x.ts', "import pg from 'pg';", 'sdk/pg');
  await refuses('electron/core/environment/x.ts', "import type { Pool } from 'pg';", 'sdk/pg');
  await refuses('electron/core/environment/x.ts', "import { x } from 'pg/lib/x.js';", 'sdk/pg');
  await refuses('electron/core/traffic/x.ts', "import { Client } from 'ssh2';", 'sdk/ssh2');
  await refuses('electron/core/runbooks/x.ts', "import packet from 'dns-packet';", 'sdk/dns-packet');
  await refuses('electron/core/environment/x.ts', "import { Entry } from '@napi-rs/keyring';", 'sdk/keyring');
  await refuses('electron/core/traffic/x.ts', "import { request } from 'undici';", 'sdk/undici');
  await refuses('electron/core/monitor/x.ts', "import { WebSocketServer } from 'ws';", 'sdk/ws');
  await refuses('electron/core/monitor/x.ts', "import { retry } from 'cockatiel';", 'sdk/cockatiel');
  await refuses('renderer/src/x.ts', "import { request } from 'undici';", 'sdk/undici');
  await allows('electron/core/database/adapters/postgresql.ts', "import pg from 'pg';");
  await allows('electron/core/ssh/ssh-pool.ts', "import { Client } from 'ssh2';");
  await allows('electron/core/dns/dns-wire.ts', "import packet from 'dns-packet';");
  await allows('electron/core/secrets/os-keychain.ts', "import type { EntryOptions } from '@napi-rs/keyring';");
  await allows('electron/core/health/http-probe.ts', "import { request } from 'undici';");
  await allows('electron/core/dns/providers/powerdns.ts', "import { request } from 'undici';");
  await allows('electron/headless/headless-server.ts', "import { WebSocketServer } from 'ws';");
  await allows('electron/core/platform/observed-source.ts', "import { retry } from 'cockatiel';");
  await allows('test/integration/x.ts', "import pg from 'pg';\nimport { Client } from 'ssh2';");
});

test('the renderer imports shared/ only, and shared/ imports no Node', async () => {
  await refuses(
    'renderer/src/features/runs/x.ts',
    "import { x } from '../../../../electron/core/runbooks/x.ts';",
    'no-restricted-imports',
  );
  await refuses('renderer/src/x.tsx', "import { readFile } from 'node:fs';", 'no-restricted-imports');
  await refuses('shared/contract/x.ts', "import { readFile } from 'node:fs';", 'no-restricted-imports');
  await refuses('shared/x.ts', "import { x } from '../electron/core/x.ts';", 'no-restricted-imports');
  await allows(
    'renderer/src/features/runs/x.ts',
    "import type { RunView } from '../../../../shared/runs/run-view.ts';",
  );
  await allows('shared/contract/x.ts', "import { z } from 'zod';");
});

test('the layer rules keep the older "no electron in the core" rule in force', async () => {
  await refuses('electron/core/dns/x.ts', "import { app } from 'electron';", 'no-restricted-imports');
  await refuses('electron/cli/x.ts', "import { app } from 'electron';", 'no-restricted-imports');
  await allows('electron/main/x.ts', "import { app } from 'electron';");
});
