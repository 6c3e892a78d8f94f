/**
 * Child process of test/integration/os-keychain.test.ts: resolves one `{ keychain }` reference
 * with the resolver every host uses and prints one JSON line. It never prints the value: it
 * compares it with KR_EXPECTED (if set) and prints `match` and `valueLength` only.
 *
 * env: KR_SERVICE, KR_ACCOUNT (the reference); KR_EXPECTED (optional); KR_TIMEOUT_MS (optional:
 * build a resolver with that keychain timeout instead of the exported default `resolveSecret`);
 * KR_REPEAT (optional, 1–50 reads; the later ones are reported as warmMs, ms each).
 * Output: {"ok":true,"match":bool,"valueLength":n,"ms":n,"warmMs"?:[n…]} or
 *         {"ok":false,"kind":…,"message":…,"hint":…,"where":…,"ms":n}; ms = resolve time.
 */
import { createOsKeychainReader } from '../../electron/core/secrets/os-keychain.ts';
import { SecretError, createSecretResolver, resolveSecret } from '../../electron/core/secrets/resolve-secret.ts';

const service = process.env.KR_SERVICE ?? '';
const account = process.env.KR_ACCOUNT ?? '';
const timeoutMs = process.env.KR_TIMEOUT_MS;
const resolve = timeoutMs
  ? createSecretResolver({ keychain: createOsKeychainReader({ timeoutMs: Number(timeoutMs) }) })
  : resolveSecret;

const repeat = Math.min(Math.max(Number(process.env.KR_REPEAT ?? 1), 1), 50);

const t0 = performance.now();
try {
  const value = await resolve({ keychain: { service, account } }, 'test.password');
  const ms = Math.round(performance.now() - t0);
  const expected = process.env.KR_EXPECTED;
  // Reads after the first reuse the loaded binding and worker: the steady-state latency.
  const warm: number[] = [];
  let same = true;
  for (let i = 1; i < repeat; i++) {
    const t = performance.now();
    same &&= (await resolve({ keychain: { service, account } }, 'test.password')) === value;
    warm.push(Math.round((performance.now() - t) * 10) / 10);
  }
  const match = expected === undefined ? null : value === expected && same;
  console.log(
    JSON.stringify({ ok: true, match, valueLength: value.length, ms, ...(warm.length ? { warmMs: warm } : {}) }),
  );
} catch (e) {
  const ms = Math.round(performance.now() - t0);
  if (e instanceof SecretError) console.log(JSON.stringify({ ok: false, ...e.error, ms }));
  else console.log(JSON.stringify({ ok: false, kind: 'not-a-SecretError', message: String(e), ms }));
}
