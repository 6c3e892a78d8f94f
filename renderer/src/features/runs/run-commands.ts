/**
 * The exact commands of a step plan, split for display and copy. Step kinds write them as one
 * line each (electron/core/runbooks/steps/*): `SQL <node>: <sql>  # <note>`,
 * `ssh <user@host:port>: <command>  # <note>`, `PATCH <url> <json>  # <note>` and
 * `http <target>: <request>` (HTTP APIs),
 * `nsupdate (TSIG-signed); server …; zone …; update …; send` (RFC 2136), `dig @… +norec …  # …`.
 */

export type CommandKind = 'sql' | 'ssh' | 'api' | 'nsupdate' | 'dig' | 'other';

export interface ParsedCommand {
  kind: CommandKind;
  /** Short label: `SQL`, `SSH`, `API`, `DNS update`, `DNS query`, `step`. */
  label: string;
  /** Where it runs (node, user@host:port, URL), or null. */
  target: string | null;
  /** The command itself, as shown (nsupdate: one statement per line). */
  text: string;
  /** What the copy button puts on the clipboard: something a person can paste into that tool. */
  copy: string;
  /** The trailing `# …` note (expected outcome), or null. */
  note: string | null;
}

const labels: Record<CommandKind, string> = {
  sql: 'SQL',
  ssh: 'SSH',
  api: 'API',
  nsupdate: 'DNS update',
  dig: 'DNS query',
  other: 'step',
};

/** Split `text  # note` at the last two-space-hash separator (a `#` inside the command stays). */
function splitNote(line: string): { body: string; note: string | null } {
  const i = line.lastIndexOf('  # ');
  if (i < 0) return { body: line.trimEnd(), note: null };
  return { body: line.slice(0, i).trimEnd(), note: line.slice(i + 4).trim() || null };
}

/** Parse one plan command line (never throws: unknown shapes are `other`, shown as is). */
export function parseCommand(line: string): ParsedCommand {
  const { body, note } = splitNote(line);
  const make = (kind: CommandKind, target: string | null, text: string, copy = text): ParsedCommand => ({
    kind,
    label: labels[kind],
    target,
    text,
    copy,
    note,
  });
  let m = /^SQL (.+?): (.+)$/s.exec(body);
  if (m) return make('sql', m[1]!, m[2]!, m[2]!.endsWith(';') ? m[2]! : `${m[2]!};`);
  m = /^ssh (\S+?): (.+)$/s.exec(body);
  if (m) return make('ssh', m[1]!, m[2]!);
  m = /^(GET|POST|PUT|PATCH|DELETE|HEAD) (\S+)(?: (.+))?$/s.exec(body);
  if (m) {
    const [, method, url, rest] = m as unknown as [string, string, string, string | undefined];
    // A JSON body reads best on its own line; words after the URL ("until 2 healthy…") stay on it.
    const json = rest !== undefined && /^[[{]/.test(rest);
    // The URL is in the text already: no separate target.
    return make(
      'api',
      null,
      rest === undefined ? `${method} ${url}` : json ? `${method} ${url}\n${rest}` : `${method} ${url} ${rest}`,
      rest === undefined ? `${method} ${url}` : `${method} ${url} ${rest}`,
    );
  }
  m = /^http (\S+?): (.+)$/s.exec(body);
  if (m) return make('api', m[1]!, m[2]!);
  if (body.startsWith('nsupdate')) {
    const [head = 'nsupdate', ...statements] = body
      .split(/;\s*/)
      .map((p) => p.trim())
      .filter(Boolean);
    const server = statements.find((s) => s.startsWith('server '))?.slice('server '.length) ?? null;
    const script = statements.join('\n');
    // `nsupdate (TSIG-signed)`: the parenthesis says how it is sent; keep it as the note.
    const how = /\((.+)\)/.exec(head)?.[1] ?? null;
    return { ...make('nsupdate', server, script, `${script}\n`), note: note ?? how };
  }
  if (body.startsWith('dig ')) {
    const server = /@(\S+)/.exec(body)?.[1] ?? null;
    return make('dig', server, body);
  }
  return make('other', null, body);
}
