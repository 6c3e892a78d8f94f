/**
 * A parsed YAML file that remembers where every node came from, so zod issues (and our own
 * cross-checks) can be reported as `file:line:col field — message. Fix: hint`.
 *
 * Used by the workspace loader and the runbook loader (which validates a step kind's params on
 * their own and reports them with a path prefix, `steps[i].params`).
 */
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Document, type Node as YamlNode } from 'yaml';
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

  private constructor(file: string, doc: Document, lc: LineCounter) {
    this.file = file;
    this.doc = doc;
    this.#lc = lc;
  }

  /**
   * Parses YAML text (duplicate keys are errors).
   * @param file used in issues only (never read)
   * @returns the source, or one issue per syntax error (field `(syntax)`); never throws.
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
    return { ok: true, source: new YamlSource(file, doc, lc) };
  }

  /** The document as plain JS data (what zod validates). */
  value(): unknown {
    return this.doc.toJS();
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
