/** Test helper: awaits `p`, which must reject with a SecretError; returns it. */
import assert from 'node:assert/strict';
import { SecretError } from '../../../electron/core/secrets/secret-error.ts';

export async function rejection(p: Promise<unknown>): Promise<SecretError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof SecretError, `expected SecretError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}
