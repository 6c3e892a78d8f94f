/**
 * The one boundary check both hosts use: untrusted (method, args) from IPC or a WebSocket is
 * validated against the contract's zod schema before the core sees it. Bad input becomes an
 * `invalid-input` Result naming the field — never an exception or a stack trace.
 */
import { consoleApi, type ConsoleApi, type ConsoleMethod } from '../../../shared/contract/index.ts';
import { fail, type Result } from '../../../shared/result.ts';

const isMethod = (m: string): m is ConsoleMethod => Object.prototype.hasOwnProperty.call(consoleApi, m);

export async function dispatch(api: ConsoleApi, method: string, rawArgs: unknown): Promise<Result<unknown>> {
  if (!isMethod(method)) {
    return fail(
      'invalid-input',
      `unknown method "${method}"`,
      `use one of: ${Object.keys(consoleApi).join(', ')}`,
      'method',
    );
  }
  const parsed = consoleApi[method].safeParse(rawArgs ?? {});
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const field = first?.path.map(String).join('.') || '(args)';
    return fail(
      'invalid-input',
      `${method}: ${field}: ${first?.message ?? 'invalid arguments'}`,
      'check the argument against the method schemas in shared/contract/',
      `${method}.${field}`,
    );
  }
  try {
    // the schema and the method are looked up by the same key, so the parsed args fit
    return await (api[method] as (a: unknown) => Promise<Result<unknown>>)(parsed.data);
  } catch (e) {
    return fail(
      'internal',
      `${method} failed: ${(e as Error).message}`,
      'this is a bug in Standby: please report it with the console log',
    );
  }
}
