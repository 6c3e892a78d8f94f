/**
 * The CA bundles (`caFile`) named in a workspace, read once at load. An https target with a
 * `caFile` trusts only those CAs; without one, Node's bundled CAs. Verification stays on either
 * way (`rejectUnauthorized: true`): there is no option to turn it off.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { checkFileTrust } from './check-file-trust.ts';
import type { Workspace } from './workspace-schema.ts';
import type { YamlPath } from './yaml-source.ts';

/** PEM text by absolute path, filled by {@link loadCaFiles}. */
const pems = new Map<string, string>();

/** A problem with one `caFile`: where it is in the workspace, what is wrong, how to fix it. */
export interface CaFileProblem {
  path: YamlPath;
  message: string;
  hint: string;
}

/** Every `caFile` field of `ws` with its YAML path (the objects are mutated to absolute paths). */
function caFields(ws: Workspace): { path: YamlPath; holder: { caFile?: string | undefined } }[] {
  const out: { path: YamlPath; holder: { caFile?: string | undefined } }[] = [];
  ws.environments.forEach((env, ei) => {
    env.sites.forEach((site, si) => {
      out.push({ path: ['environments', ei, 'sites', si, 'router', 'caFile'], holder: site.router });
      site.slots.forEach((slot, li) =>
        out.push({ path: ['environments', ei, 'sites', si, 'slots', li, 'caFile'], holder: slot }),
      );
    });
    env.dnsProviders.forEach((p, pi) => {
      if (p.kind === 'powerdns') out.push({ path: ['environments', ei, 'dnsProviders', pi, 'caFile'], holder: p });
    });
  });
  return out.filter((f) => f.holder.caFile !== undefined);
}

/**
 * Reads every `caFile` of `ws` (relative paths are relative to `workspaceFile` and are made
 * absolute in `ws`). A file must exist, be trusted like the workspace (not writable by others)
 * and hold at least one PEM certificate.
 * @returns the problems; empty when all were read.
 */
export async function loadCaFiles(ws: Workspace, workspaceFile: string): Promise<CaFileProblem[]> {
  const problems: CaFileProblem[] = [];
  for (const { path, holder } of caFields(ws)) {
    const file = isAbsolute(holder.caFile!) ? holder.caFile! : resolve(dirname(workspaceFile), holder.caFile!);
    holder.caFile = file;
    const trust = await checkFileTrust(file, 'caFile');
    if (trust) {
      problems.push({ path, ...trust });
      continue;
    }
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      problems.push({
        path,
        message: `cannot read CA file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        hint: 'point caFile at a readable PEM file holding the CA certificate(s) of this target',
      });
      continue;
    }
    if (!text.includes('-----BEGIN CERTIFICATE-----')) {
      problems.push({
        path,
        message: `${file} holds no PEM certificate`,
        hint: 'caFile must be PEM ("-----BEGIN CERTIFICATE-----"); convert DER with: openssl x509 -inform der -in ca.der -out ca.pem',
      });
      continue;
    }
    pems.set(file, text);
  }
  return problems;
}

/**
 * The PEM text of a `caFile` read by {@link loadCaFiles}; undefined when `caFile` is undefined.
 * @throws Error when the file was not loaded (a workspace not loaded through loadWorkspace).
 */
export function caPemOf(caFile: string | undefined): string | undefined {
  if (caFile === undefined) return undefined;
  const pem = pems.get(caFile);
  if (pem === undefined)
    throw new Error(`CA file ${caFile} was not read at load: load the workspace with loadWorkspace`);
  return pem;
}

/** Registers PEM text for a path (tests, and callers that build a workspace in memory). */
export function registerCaPem(caFile: string, pem: string): void {
  pems.set(caFile, pem);
}
