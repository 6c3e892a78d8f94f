/**
 * Decoding of the headless host's WebSocket messages (shared/contract/ `WsServerMessage`).
 * Anything that does not have the declared shape is rejected with a reason instead of being
 * half-trusted.
 */
import type { ConsoleEventName, WsServerMessage } from '../../../shared/contract/index.ts';
import { consoleEventNames } from '../../../shared/contract/index.ts';
import { OpErrorSchema } from '../../../shared/result.ts';

export type DecodedServerMessage = { ok: true; message: WsServerMessage } | { ok: false; reason: string };

/**
 * Parse and shape-check one server frame.
 *
 * - `result`: integer `id` ≥ 0 and a `Result` (`{ok:true,value}` or `{ok:false,error:OpError}`);
 *   the value itself is not validated (the contract has no result schemas).
 * - `event`: a `name` from `consoleEventNames`; the payload is validated later against
 *   `consoleEvents[name]` by the client.
 * - `error`: an object with a string `message`.
 */
export function decodeServerMessage(raw: string): DecodedServerMessage {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof data !== 'object' || data === null) return { ok: false, reason: 'not an object' };
  const m = data as Record<string, unknown>;
  switch (m.type) {
    case 'result': {
      if (typeof m.id !== 'number' || !Number.isInteger(m.id) || m.id < 0)
        return { ok: false, reason: 'result without a valid id' };
      const r = m.result as Record<string, unknown> | null | undefined;
      if (typeof r !== 'object' || r === null) return { ok: false, reason: 'result without a Result' };
      if (r.ok === true && 'value' in r)
        return { ok: true, message: { type: 'result', id: m.id, result: { ok: true, value: r.value } } };
      if (r.ok === false) {
        const e = OpErrorSchema.safeParse(r.error);
        if (!e.success) return { ok: false, reason: 'result error is not an OpError' };
        return { ok: true, message: { type: 'result', id: m.id, result: { ok: false, error: e.data } } };
      }
      return { ok: false, reason: 'result is neither ok nor error' };
    }
    case 'event': {
      const name = m.name;
      if (typeof name !== 'string' || !(consoleEventNames as string[]).includes(name))
        return { ok: false, reason: `unknown event ${String(name)}` };
      return { ok: true, message: { type: 'event', name: name as ConsoleEventName, payload: m.payload } };
    }
    case 'error': {
      const e = m.error as Record<string, unknown> | null | undefined;
      if (typeof e !== 'object' || e === null || typeof e.message !== 'string')
        return { ok: false, reason: 'error without a message' };
      return {
        ok: true,
        message: {
          type: 'error',
          error: { kind: 'invalid-input', message: e.message, ...(typeof e.hint === 'string' ? { hint: e.hint } : {}) },
        },
      };
    }
    default:
      return { ok: false, reason: `unknown message type ${String(m.type)}` };
  }
}
