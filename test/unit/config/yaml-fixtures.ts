/** YAML that used to make the reader throw (shared by the config and runbook tests). */

/** A billion-laughs document: each level repeats the previous one nine times. */
export const aliasBombYaml = `a: &a [x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]
`;

/** `count` aliases of one scalar, one per line from line 3. */
export const manyAliasesYaml = (count: number) =>
  `anchor: &x 1\nlist:\n${Array.from({ length: count }, () => '  - *x').join('\n')}\n`;
