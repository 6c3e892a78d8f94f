/**
 * Validates a lab-generated workspace.yaml against the project's workspace schema, so a schema
 * change that the lab does not follow fails `lab-up.sh` loudly instead of breaking tests later.
 *
 * Usage: `node_modules/.bin/node test/lab/validate-workspace.ts DIR/workspace.yaml`
 * Exit 0 and one line on success; exit 1 with one line per issue (`path: message`) otherwise.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { WorkspaceSchema } from '../../electron/core/config/workspace-schema.ts';

const file = process.argv[2];
if (!file) {
  console.error('usage: validate-workspace.ts WORKSPACE.yaml');
  process.exit(2);
}
const result = WorkspaceSchema.safeParse(parse(readFileSync(file, 'utf8')));
if (!result.success) {
  for (const issue of result.error.issues) {
    console.error(`${file}: ${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
  }
  process.exit(1);
}
const env = result.data.environments[0];
console.log(
  `workspace ok: ${file} (environment ${env?.name}, ${env?.sites.length} sites, ${env?.dnsProviders.length} DNS providers)`,
);
