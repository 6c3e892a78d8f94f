// Layer rules are enforced here, not by review (as VS Code's code-layering rule does):
// - the core, the headless host, the CLI and shared/ never import 'electron';
// - shared/ imports no Node built-ins and nothing from electron/ or renderer/;
// - the renderer imports shared/ only (no Node, no Electron, no core);
// - electron/** never imports test/** (the packaged app does not ship it);
// - inside electron/core the floors point one way: platform ← domains ← environment ← capabilities
//   ← create-core, and nothing in the core imports create-core.ts or a host;
// - each SDK (pg, ssh2, dns-packet, …) is imported only by the adapter files that own it.
// docs/ARCHITECTURE.md explains the floors; test/unit/lint/layering.test.ts proves each rule fires.
//
// Flat config REPLACES a rule's options when a later block configures the same rule for the same
// file, so every concern below has its own rule id: the core rules are registered again under
// local names (`layers/…`, `sdk/…`) with no new logic. Blocks of one rule id never overlap.
import js from '@eslint/js';
import { builtinRules } from 'eslint/use-at-your-own-risk';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'child_process',
  'net',
  'http',
  'https',
  'os',
  'crypto',
  'dgram',
  'tls',
  'url',
  'stream',
  'events',
  'util',
];

const restrictedImports = builtinRules.get('no-restricted-imports');
const restrictedSyntax = builtinRules.get('no-restricted-syntax');

// ---- floors of electron/core ----------------------------------------------------------------

/** The domains: config, secrets, store, and one folder per kind of real system (interface + one file each). */
const domains = ['config', 'secrets', 'store', 'ssh', 'health', 'dns', 'database', 'traffic'];
/** Capabilities built on the environment services. A new one adds its folder name here. */
const capabilities = ['monitor', 'runbooks', 'duplicator', 'drills', 'consistency', 'coordination'];
// ops/ is the old home of command-log.ts (now platform/command-log.ts): drop it once ops/ is gone.
const platform = ['platform', 'ops'];

/**
 * Folder → the sibling core folders it may import. Each row names only rows above it, so the graph
 * has no cycle by construction; anything not listed is refused.
 */
const floors = {
  platform: [],
  ops: [],
  config: [...platform],
  secrets: [...platform, 'config'],
  store: [...platform, 'config'],
  ssh: [...platform, 'config', 'secrets'],
  health: [...platform, 'config', 'secrets'],
  dns: [...platform, 'config', 'secrets', 'health'], // the TTL budget adds health's detection time
  database: [...platform, 'config', 'secrets', 'ssh'], // pg_ctl and the tunnel to the port run over SSH
  traffic: [...platform, 'config', 'secrets', 'ssh'], // nginx and HAProxy are driven over SSH
  environment: [...platform, ...domains],
  // Capabilities never import each other (none does today): what one needs from another is
  // handed over by create-core.ts, or moves down into environment/ or a domain.
  ...Object.fromEntries(capabilities.map((c) => [c, [...platform, ...domains, 'environment']])),
  api: [...platform], // the hosts' boundary check: contract in, Result out
};
const coreFolders = Object.keys(floors);

/** A relative import that lands in one of `folders` of electron/core (from any depth inside it). */
const intoCore = (folders) => `^(?:\\.\\./)+(?:(?:electron/)?core/)?(?:${folders.join('|')})(?:/|$)`;
const hostsAndRoot = {
  regex: '(?:^(?:\\.\\./)+(?:main|preload|headless|cli)(?:/|$))|(?:(?:^|/)create-core(?:\\.ts)?$)',
  message: 'only the hosts and the CLI build the core: nothing in electron/core imports create-core.ts or a host',
};

const floorBlocks = coreFolders.map((folder) => {
  const allowed = floors[folder];
  const refused = coreFolders.filter((f) => f !== folder && !allowed.includes(f));
  const may = allowed.length
    ? allowed
        .filter((f) => f !== 'ops')
        .map((f) => `${f}/`)
        .join(', ')
    : 'nothing else in electron/core';
  return {
    files: [`electron/core/${folder}/**`],
    rules: {
      'layers/core-floors': [
        'error',
        {
          patterns: [
            {
              regex: intoCore(refused),
              message: `electron/core/${folder}/ may import only ${may} (floors: platform ← domains ← environment ← capabilities; see docs/ARCHITECTURE.md)`,
            },
            hostsAndRoot,
          ],
        },
      ],
    },
  };
});

const knownCore = coreFolders.map((f) => `electron/core/${f}/**`);
const floorCatchAll = [
  {
    // a core folder nobody has placed yet is held to the capability floor until it is listed above
    files: ['electron/core/*/**'],
    ignores: knownCore,
    rules: {
      'layers/core-floors': [
        'error',
        {
          patterns: [
            {
              regex: intoCore(capabilities),
              message:
                'a new core folder is not in the floors table of eslint.config.js: add it to `domains` or `capabilities` there',
            },
            hostsAndRoot,
          ],
        },
      ],
    },
  },
  {
    files: ['electron/core/*.ts'],
    rules: { 'layers/core-floors': ['error', { patterns: [hostsAndRoot] }] },
  },
];

// ---- electron/** never imports test/** ---------------------------------------------------------

const testMessage = 'electron/** ships in the app; test/** does not: move what you need out of test/';
const testRegex = '^(?:\\.\\./)+test(?:/|$)';
// the same test as an esquery selector, which ends its regex at the first '/': hence \x2F
const testImportExpression = 'ImportExpression[source.value=/^(?:\\.\\.\\x2F)+test(?:\\x2F|$)/]';

// ---- each SDK in its adapter files ---------------------------------------------------------------

/** SDK → the globs that may import it (everything else in electron/, shared/, renderer/ may not). */
const sdkHomes = [
  { rule: 'pg', module: 'pg', homes: ['electron/core/database/adapters/**'] },
  { rule: 'ssh2', module: 'ssh2', homes: ['electron/core/ssh/**'] },
  { rule: 'dns-packet', module: 'dns-packet', homes: ['electron/core/dns/**'] },
  { rule: 'keyring', module: '@napi-rs/keyring', homes: ['electron/core/secrets/**'] },
  {
    rule: 'undici',
    module: 'undici',
    homes: [
      'electron/core/health/**',
      'electron/core/dns/providers/**',
      'electron/core/environment/**', // the shared HTTP probe agent
      'electron/core/runbooks/measure-recovery.ts', // probes the endpoints itself today
    ],
  },
  { rule: 'ws', module: 'ws', homes: ['electron/headless/**'] },
  {
    rule: 'cockatiel',
    module: 'cockatiel',
    homes: [
      'electron/core/platform/**', // observed-source.ts and op-error.ts
      'electron/core/runbooks/execute-step.ts', // step retry and timeout
      'electron/core/runbooks/plan-runbook.ts', // planning timeout
      // the in-flight/breaker/last-good copies that observed-source replaces: drop once moved
      'electron/core/dns/dns-service.ts',
      'electron/core/health/probe-target.ts',
    ],
  },
];
const escapeRegex = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const product = ['electron/**', 'shared/**', 'renderer/src/**']; // renderer/dev is a dev-only fake host
const sdkBlocks = sdkHomes.map(({ rule, module, homes }) => ({
  files: product,
  ignores: homes,
  rules: {
    [`sdk/${rule}`]: [
      'error',
      {
        patterns: [
          {
            regex: `^${escapeRegex(module)}(?:/|$)`,
            message: `'${module}' is imported only in ${homes.filter((h) => !h.endsWith('.ts')).join(', ')}: go through its adapter`,
          },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      'test-results/**',
      'playwright-report/**',
      'test/lab/app/**',
      'bench/tmp/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    plugins: {
      layers: {
        rules: {
          'core-floors': restrictedImports,
          'no-test-import': restrictedImports,
          'no-test-dynamic-import': restrictedSyntax,
        },
      },
      sdk: { rules: Object.fromEntries(sdkHomes.map(({ rule }) => [rule, restrictedImports])) },
    },
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        window: 'readonly',
        document: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        performance: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        WebSocket: 'readonly',
        sessionStorage: 'readonly',
        localStorage: 'readonly',
        location: 'readonly',
        history: 'readonly',
        requestAnimationFrame: 'readonly',
        cancelAnimationFrame: 'readonly',
        structuredClone: 'readonly',
        queueMicrotask: 'readonly',
        setImmediate: 'readonly',
        NodeJS: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: [
      'electron/core/**',
      'electron/headless/**',
      'electron/cli/**',
      'test/unit/**',
      'test/integration/**',
      'bench/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'the core runs under plain Node: only electron/main and electron/preload may import electron',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'shared/ is the contract: no Electron' }],
          patterns: [
            { group: nodeBuiltins, message: 'shared/ runs in the renderer too: no Node built-ins' },
            { group: ['**/electron/**', '**/renderer/**'], message: 'shared/ depends on nothing but zod' },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/src/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'the renderer talks to the host through window.standby or the WebSocket only',
            },
          ],
          patterns: [
            { group: nodeBuiltins, message: 'the renderer is a sandboxed web page: no Node built-ins' },
            { group: ['**/electron/**', '**/test/**'], message: 'the renderer imports shared/ only (the contract)' },
          ],
        },
      ],
    },
  },
  {
    files: ['electron/**', 'shared/**'],
    rules: {
      'layers/no-test-import': ['error', { patterns: [{ regex: testRegex, message: testMessage }] }],
      // no-restricted-imports does not see import(): a lazy import of test code would slip through
      'layers/no-test-dynamic-import': ['error', { selector: testImportExpression, message: testMessage }],
    },
  },
  ...floorBlocks,
  ...floorCatchAll,
  ...sdkBlocks,
);
