/**
 * A parsed YAML file that remembers where every node came from, so zod issues (and our own
 * cross-checks) can be reported as `file:line:col field — message. Fix: hint`.
 *
 * Used by the workspace loader and the runbook loader (which validates a step kind's params on
 * their own and reports them with a path prefix, `steps[i].params`).
 */
import {
  LineCounter,
  parseDocument,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import { open, type FileHandle } from 'node:fs/promises';
import { fileTrustProblem } from './check-file-trust.ts';
import type { z } from 'zod';

/** One problem in a YAML file. `line`/`col` are 1-based. */
export interface SourceIssue {
  file: string;
  line: number;
  col: number;
  /** Dotted field path, e.g. `environments[0].sites[1].address`; `(syntax)` for syntax errors. */
  field: string;
  message: string;
  hint: string;
}

/** A path into the document: keys and sequence indexes, e.g. `['steps', 2, 'params']`. */
export type YamlPath = (string | number)[];

/** Options of {@link YamlSource.issuesFromZod}. */
export interface ZodIssueOptions {
  /** Prefix for the zod issue paths (when a sub-tree was validated on its own). */
  basePath?: YamlPath;
  /** Where to read more, used in generic hints, e.g. `see README "Runbooks"`. */
  docs?: string;
  /** Hint for a value matching none of a union's forms (default: "use one of the documented forms"). */
  unionHint?: string;
}

/** A YAML document with positions. Build it with {@link YamlSource.parse}. */
export class YamlSource {
  readonly file: string;
  readonly doc: Document;
  readonly #lc: LineCounter;
  readonly #value: unknown;

  private constructor(file: string, doc: Document, lc: LineCounter, value: unknown) {
    this.file = file;
    this.doc = doc;
    this.#lc = lc;
    this.#value = value;
  }

  /**
   * Parses YAML text (duplicate keys are errors) and converts it to plain data once, with the
   * alias limits of {@link yamlLimits} checked first, so no input can make a later step throw.
   * @param file used in issues only (never read)
   * @returns the source, or the issues: one per syntax error (field `(syntax)`), or one located
   *          at the offending alias (field: its path) for too many aliases, an alias expanding
   *          past the node limit, an alias inside its own anchor or an undefined alias; never throws.
   */
  static parse(text: string, file: string): { ok: true; source: YamlSource } | { ok: false; issues: SourceIssue[] } {
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length > 0) {
      return {
        ok: false,
        issues: doc.errors.map((err) => {
          const pos = lc.linePos(err.pos[0]);
          return {
            file,
            line: pos.line,
            col: pos.col,
            field: '(syntax)',
            message: `YAML syntax error: ${err.message.split('\n')[0]}`,
            hint: 'check indentation and quoting on that line',
          };
        }),
      };
    }
    let value: unknown;
    try {
      const aliasProblem = checkAliases(doc);
      if (aliasProblem) {
        const pos = lc.linePos(aliasProblem.offset);
        return {
          ok: false,
          issues: [{ file, line: pos.line, col: pos.col, field: fieldName(aliasProblem.path), ...aliasProblem.issue }],
        };
      }
      // checkAliases bounds the expansion; the library's own count stays as a second fence.
      value = doc.toJS({ maxAliasCount: yamlLimits.maxExpandedNodes });
    } catch (e) {
      return {
        ok: false,
        issues: [
          {
            file,
            line: 1,
            col: 1,
            field: '(data)',
            message: `the YAML cannot be read as data: ${e instanceof Error ? e.message : String(e)}`,
            hint: 'simplify the file: fewer anchors (&) and aliases (*), less nesting',
          },
        ],
      };
    }
    return { ok: true, source: new YamlSource(file, doc, lc, value) };
  }

  /**
   * The document as plain JS data (what zod validates), converted once by {@link parse}; zod
   * builds new objects from it, so callers do not share mutations.
   */
  value(): unknown {
    return this.#value;
  }

  /**
   * 1-based position of the deepest existing node along `path`; with `key`, the position of
   * that key inside the map at `path` (used for unknown fields).
   */
  locate(path: YamlPath, key?: string): { line: number; col: number } {
    let node: unknown = this.doc.contents;
    let offset = 0;
    const at = (n: unknown) => {
      const r = (n as YamlNode | null)?.range;
      if (r) offset = r[0];
    };
    at(node);
    const steps: YamlPath = key !== undefined ? [...path, key] : path;
    for (const step of steps) {
      if (isMap(node)) {
        const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(step));
        if (!pair) break;
        at(pair.key);
        node = pair.value;
        if (key === undefined || step !== key) at(node);
      } else if (isSeq(node) && typeof step === 'number') {
        node = node.items[step];
        at(node);
      } else break;
    }
    return this.#lc.linePos(offset);
  }

  /** An issue located at `path` (a cross-field check that zod cannot express). */
  issueAt(path: YamlPath, message: string, hint: string): SourceIssue {
    const pos = this.locate(path);
    return { file: this.file, line: pos.line, col: pos.col, field: fieldName(path), message, hint };
  }

  /** Converts zod issues into located issues, sorted by position. */
  issuesFromZod(issues: readonly z.core.$ZodIssue[], options: ZodIssueOptions = {}): SourceIssue[] {
    const base = options.basePath ?? [];
    const docs = options.docs ?? 'see the documentation';
    const out = issues.map((iss) => {
      const path = [...base, ...iss.path.filter((p): p is string | number => typeof p !== 'symbol')];
      const firstUnknown = iss.code === 'unrecognized_keys' ? iss.keys[0] : undefined;
      const pos = this.locate(path, firstUnknown);
      const field = fieldName(firstUnknown !== undefined ? [...path, firstUnknown] : path);
      const message =
        iss.code === 'unrecognized_keys'
          ? `unknown field${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => `"${k}"`).join(', ')}`
          : iss.message;
      return {
        file: this.file,
        line: pos.line,
        col: pos.col,
        field,
        message,
        hint: iss.code === 'invalid_union' && options.unionHint ? options.unionHint : hintFor(iss, docs),
      };
    });
    return out.sort((a, b) => a.line - b.line || a.col - b.col);
  }
}

/** Dotted field name of a path: `steps[2].params.ttlSeconds`; `(root)` for the empty path. */
export function fieldName(path: YamlPath): string {
  return (
    path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') || '(root)'
  );
}

function hintFor(iss: z.core.$ZodIssue, docs: string): string {
  switch (iss.code) {
    case 'unrecognized_keys':
      return `remove or rename ${iss.keys.map((k) => `"${k}"`).join(', ')} (field names are case-sensitive; ${docs})`;
    case 'invalid_type':
      return /received undefined/.test(iss.message)
        ? `add the required field (${iss.expected})`
        : `give a value of type ${iss.expected}`;
    case 'invalid_value':
      return `use one of: ${iss.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
    case 'too_big':
      return 'adjust the value to the allowed range';
    case 'invalid_union':
      return `use one of the documented forms (${docs})`;
    default:
      return docs;
  }
}

/**
 * What one workspace or runbook file may ask of the parser. These files are written by hand and
 * reviewed in git; the largest real one is a few KiB with no aliases, so each bound is far above
 * honest use and far below what hurts a 2-core host.
 */
export const yamlLimits = {
  /** File size read at most, bytes (1 MiB): a longer file is refused before it is parsed. */
  maxBytes: 1024 * 1024,
  /**
   * Alias uses (`*name`) per file. Sharing a retry policy or a secret reference takes a handful;
   * 100 is also the `yaml` library's default, which used to surface as an unlocated exception.
   */
  maxAliases: 100,
  /**
   * Nodes the aliases may add once expanded (each alias counts the size of what it copies, so
   * nested anchors that repeat each other — an "alias bomb" — multiply quickly and stop here).
   */
  maxExpandedNodes: 10_000,
} as const;

/** A YAML file's text, or the issue explaining why it was not read (missing, unreadable, too large). */
export type ReadYamlResult = { ok: true; text: string } | { ok: false; issue: SourceIssue };

/**
 * Reads a YAML file of at most {@link yamlLimits.maxBytes} bytes (never more is read). A file
 * another user could have written (group/world-writable, or owned by another non-root user) is
 * refused before it is read: see {@link fileTrustProblem}.
 * @param file absolute path; `what` names the file in messages (`workspace`, `runbook`);
 *        `missingHint` is the fix for a file that cannot be opened.
 * @returns the text (UTF-8), or an issue at 1:1 with field `(file)`; never throws.
 */
export async function readYamlFile(file: string, what: string, missingHint: string): Promise<ReadYamlResult> {
  const issue = (message: string, hint: string): ReadYamlResult => ({
    ok: false,
    issue: { file, line: 1, col: 1, field: '(file)', message, hint },
  });
  let fh: FileHandle | undefined;
  try {
    fh = await open(file, 'r');
    // Judged on the opened handle, so the file checked is the file read (no swap in between).
    const untrusted = fileTrustProblem(file, await fh.stat(), what);
    if (untrusted) return issue(untrusted.message, untrusted.hint);
    const buf = Buffer.alloc(yamlLimits.maxBytes + 1);
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    if (n > yamlLimits.maxBytes)
      return issue(
        `the ${what} file is larger than ${yamlLimits.maxBytes} bytes`,
        `a ${what} file is a few KiB: keep large data (keys, certificates, scripts) in separate files and reference them`,
      );
    return { ok: true, text: buf.toString('utf8', 0, n) };
  } catch (e) {
    return issue(`cannot read the ${what} file (${(e as NodeJS.ErrnoException).code ?? 'error'})`, missingHint);
  } finally {
    await fh?.close().catch(() => {});
  }
}

interface AliasProblem {
  /** Character offset of the offending alias. */
  offset: number;
  path: YamlPath;
  issue: { message: string; hint: string };
}

/**
 * Walks the document in order and stops at the first alias that breaks {@link yamlLimits}, is
 * undefined, or points into a collection that contains it (which would make the data cyclic).
 */
function checkAliases(doc: Document): AliasProblem | null {
  /** Expanded size of each finished node carrying an anchor, in nodes. */
  const sizes = new Map<unknown, number>();
  /** Collections being walked: an alias to one of them is a cycle. */
  const walking = new Set<unknown>();
  let aliases = 0;
  let added = 0;
  let problem: AliasProblem | null = null;
  const stop = (node: YamlNode, path: YamlPath, message: string, hint: string): number => {
    problem = { offset: node.range?.[0] ?? 0, path, issue: { message, hint } };
    return 0;
  };
  const walk = (node: unknown, path: YamlPath): number => {
    if (problem || node === null || node === undefined) return 0;
    let size = 1;
    if (isAlias(node)) {
      aliases++;
      if (aliases > yamlLimits.maxAliases)
        return stop(
          node,
          path,
          `more than ${yamlLimits.maxAliases} aliases in one file (*${node.source} is alias ${aliases})`,
          'write the repeated values out, or share them through fewer aliases',
        );
      const target = node.resolve(doc);
      if (!target)
        return stop(
          node,
          path,
          `alias *${node.source} has no anchor before it`,
          `define &${node.source} before its first use`,
        );
      if (walking.has(target))
        return stop(
          node,
          path,
          `alias *${node.source} points at a value that contains it (the data would be endless)`,
          'an alias may only repeat a value that is complete before it',
        );
      size = sizes.get(target) ?? 1;
      added += size;
      if (added > yamlLimits.maxExpandedNodes)
        return stop(
          node,
          path,
          `aliases expand to more than ${yamlLimits.maxExpandedNodes} values at *${node.source} (anchors repeating each other multiply)`,
          'write the values out instead of nesting anchors and aliases',
        );
    } else if (isMap(node) || isSeq(node)) {
      walking.add(node);
      node.items.forEach((item, i) => {
        if (isPair(item)) {
          const key = isScalar(item.key) ? String(item.key.value) : '?';
          size += walk(item.key, [...path, key]) + walk(item.value, [...path, key]);
        } else size += walk(item, [...path, i]);
      });
      walking.delete(node);
    }
    if ((node as YamlNode).anchor) sizes.set(node, size);
    return size;
  };
  walk(doc.contents, []);
  return problem;
}
