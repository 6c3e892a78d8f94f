import { fail, type Result } from '../../../shared/result.ts';

/** The `not-found` answer for an environment the workspace does not have, naming those it has. */
export function noEnvironment(env: string, known: Iterable<string>): Result<never> {
  return fail('not-found', `no environment named "${env}"`, `use one of: ${[...known].join(', ')}`, 'env');
}
