/**
 * Zod 4 compiles fast object parsers with `new Function`; our CSP has no 'unsafe-eval', so
 * its probe for eval (run when the first object schema is built) is refused and reported as
 * a CSP violation. Turning the JIT off before any schema exists avoids the probe. Imported
 * first by main.tsx, before shared/contract/ builds its schemas.
 */
import { z } from 'zod';

z.config({ jitless: true });
