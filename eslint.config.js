// Layer rules are enforced here, not by review (as VS Code's code-layering rule does):
// - the core, the headless host, the CLI and shared/ never import 'electron';
// - shared/ imports no Node built-ins and nothing from electron/ or renderer/;
// - the renderer imports shared/ only (no Node, no Electron, no core).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'fs/*', 'path', 'child_process', 'net', 'http', 'https', 'os', 'crypto', 'dgram', 'tls', 'url', 'stream', 'events', 'util'];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'test/lab/app/**', 'bench/tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', Buffer: 'readonly', window: 'readonly', document: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', performance: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', WebSocket: 'readonly', sessionStorage: 'readonly', localStorage: 'readonly', location: 'readonly', history: 'readonly', requestAnimationFrame: 'readonly', cancelAnimationFrame: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', setImmediate: 'readonly', NodeJS: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ['electron/core/**', 'electron/headless/**', 'electron/cli/**', 'test/unit/**', 'test/integration/**', 'bench/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'the core runs under plain Node: only electron/main and electron/preload may import electron' }] }],
    },
  },
  {
    files: ['shared/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'shared/ is the contract: no Electron' }],
        patterns: [
          { group: nodeBuiltins, message: 'shared/ runs in the renderer too: no Node built-ins' },
          { group: ['**/electron/**', '**/renderer/**'], message: 'shared/ depends on nothing but zod' },
        ],
      }],
    },
  },
  {
    files: ['renderer/src/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'the renderer talks to the host through window.standby or the WebSocket only' }],
        patterns: [
          { group: nodeBuiltins, message: 'the renderer is a sandboxed web page: no Node built-ins' },
          { group: ['**/electron/**', '**/test/**'], message: 'the renderer imports shared/ only (the contract)' },
        ],
      }],
    },
  },
);
