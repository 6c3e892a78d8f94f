/**
 * Parse TSIG keys written the way BIND writes them (`tsig-keygen -a hmac-sha256 NAME`,
 * named.conf `key` statement, BIND 9 ARM "key Block Grammar"):
 *
 *   key "failover-key" {
 *       algorithm hmac-sha256;
 *       secret "k4D+ARQhjtTrrS8N/q/BVCNlu7nh9YDTi7ZhTD+pOOg=";
 *   };
 *
 * Comments (`#`, `//`, C-style) are allowed; other statements in the same file are skipped.
 * Errors never echo the secret.
 */
import { DnsProviderError } from './dns-provider-error.ts';
import { type TsigAlgorithm, type TsigKey, tsigAlgorithms } from './tsig.ts';

const FORMAT_HINT =
  'expected BIND\'s format: key "name" { algorithm hmac-sha256; secret "base64"; }; (what tsig-keygen prints)';

interface Token {
  /** `word`, `string` (quoted), or the punctuation itself. */
  kind: 'word' | 'string' | '{' | '}' | ';';
  text: string;
  line: number;
}

/**
 * Parse a BIND key file.
 *
 * @param text file content.
 * @param opts `keyName`: pick this key when the file holds several (default: the only one);
 *   `source`: file name used in error locations (`where: "tsig.key:3"`).
 * @returns the key: name lower-cased without trailing dot, algorithm, decoded secret.
 * @throws DnsProviderError `invalid-input` with line and hint: syntax error, no/ambiguous key,
 *   unsupported algorithm (hmac-md5 is refused), secret not base64 or empty.
 */
export function parseTsigKeyFile(text: string, opts: { keyName?: string; source?: string } = {}): TsigKey {
  const source = opts.source ?? 'tsig key';
  const keys = parseAll(text, source);
  if (keys.length === 0) {
    throw new DnsProviderError('invalid-input', `${source} holds no key statement`, FORMAT_HINT, { where: source });
  }
  if (opts.keyName !== undefined) {
    const want = opts.keyName.replace(/\.$/, '').toLowerCase();
    const k = keys.find((x) => x.name === want);
    if (!k) {
      throw new DnsProviderError(
        'invalid-input',
        `${source} has no key "${want}" (found: ${keys.map((x) => x.name).join(', ')})`,
        'name the key that exists in the file',
        { where: source },
      );
    }
    return k;
  }
  if (keys.length > 1) {
    throw new DnsProviderError(
      'invalid-input',
      `${source} holds ${keys.length} keys (${keys.map((x) => x.name).join(', ')}); which one?`,
      'keep one key per file',
      { where: source },
    );
  }
  return keys[0]!;
}

/**
 * Accept either a BIND key file or dig's `-y` form `[algorithm:]name:base64secret`
 * (algorithm defaults to hmac-sha256), e.g. when the secret reference is an env variable.
 * @throws DnsProviderError `invalid-input` as `parseTsigKeyFile`.
 */
export function parseTsigKeyText(text: string, opts: { keyName?: string; source?: string } = {}): TsigKey {
  const trimmed = text.trim();
  // One token without spaces, quotes or braces: a key file never matches, so a key *named*
  // e.g. `standby-key` is still read as the -y form.
  const m = /^(?:([A-Za-z0-9-]+):)?([A-Za-z0-9_.-]+):([A-Za-z0-9+/=]+)$/.exec(trimmed);
  if (m) {
    const where = opts.source ?? 'tsig key';
    const algorithm = checkAlgorithm((m[1] ?? 'hmac-sha256').toLowerCase(), where);
    return { name: m[2]!.replace(/\.$/, '').toLowerCase(), algorithm, secret: decodeSecret(m[3]!, where) };
  }
  return parseTsigKeyFile(text, opts);
}

function parseAll(text: string, source: string): TsigKey[] {
  const toks = tokenize(text, source);
  const keys: TsigKey[] = [];
  let i = 0;
  const fail = (t: Token | undefined, msg: string): never => {
    const line = t?.line ?? toks.at(-1)?.line ?? 1;
    throw new DnsProviderError('invalid-input', `${source}:${line}: ${msg}`, FORMAT_HINT, {
      where: `${source}:${line}`,
    });
  };
  const expect = (kind: Token['kind'], what: string): Token => {
    const t = toks[i];
    if (!t || t.kind !== kind)
      fail(t, `expected ${what}${t ? `, found "${t.kind === 'string' ? '…' : t.text}"` : ' before end of file'}`);
    i++;
    return t!;
  };
  while (i < toks.length) {
    const t = toks[i]!;
    if (t.kind === 'word' && t.text === 'key') {
      i++;
      const nameTok = toks[i];
      if (!nameTok || (nameTok.kind !== 'word' && nameTok.kind !== 'string'))
        fail(nameTok, 'expected the key name after "key"');
      i++;
      const name = nameTok!.text.replace(/\.$/, '').toLowerCase();
      if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/.test(name)) fail(nameTok, `key name "${nameTok!.text}" is not a DNS name`);
      expect('{', '"{"');
      let algorithm: TsigAlgorithm | undefined;
      let secret: Buffer | undefined;
      while (toks[i] && toks[i]!.kind !== '}') {
        const opt = expect('word', 'an option (algorithm, secret)');
        const val = toks[i];
        if (!val || (val.kind !== 'word' && val.kind !== 'string')) fail(val, `expected a value after "${opt.text}"`);
        i++;
        if (opt.text === 'algorithm') algorithm = checkAlgorithm(val!.text.toLowerCase(), `${source}:${val!.line}`);
        else if (opt.text === 'secret') secret = decodeSecret(val!.text, `${source}:${val!.line}`);
        else fail(opt, `unknown option "${opt.text}" in key "${name}"`);
        expect(';', '";"');
      }
      expect('}', '"}"');
      expect(';', '";" after "}"');
      if (!algorithm) fail(nameTok, `key "${name}" has no algorithm`);
      if (!secret) fail(nameTok, `key "${name}" has no secret`);
      keys.push({ name, algorithm: algorithm!, secret: secret! });
    } else {
      // Another statement (options, zone, …): skip to its terminating ";" at depth 0.
      let depth = 0;
      for (; i < toks.length; i++) {
        const k = toks[i]!.kind;
        if (k === '{') depth++;
        else if (k === '}') depth--;
        else if (k === ';' && depth === 0) break;
      }
      if (depth !== 0) fail(toks.at(-1), 'unbalanced braces');
      i++;
    }
  }
  return keys;
}

function checkAlgorithm(alg: string, where: string): TsigAlgorithm {
  const a = alg.replace(/\.$/, '');
  if (!(tsigAlgorithms as readonly string[]).includes(a)) {
    throw new DnsProviderError(
      'invalid-input',
      `TSIG algorithm "${alg}" is not supported`,
      `use one of ${tsigAlgorithms.join(', ')} (tsig-keygen -a hmac-sha256)`,
      { where },
    );
  }
  return a as TsigAlgorithm;
}

function decodeSecret(b64: string, where: string): Buffer {
  const s = b64.replace(/\s+/g, '');
  if (s.length === 0 || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(s)) {
    throw new DnsProviderError(
      'invalid-input',
      `the TSIG secret at ${where} is not valid base64`,
      'copy the secret exactly as tsig-keygen printed it',
      { where },
    );
  }
  const buf = Buffer.from(s, 'base64');
  if (buf.length === 0)
    throw new DnsProviderError('invalid-input', `the TSIG secret at ${where} is empty`, undefined, { where });
  return buf;
}

function tokenize(text: string, source: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0)
        throw new DnsProviderError('invalid-input', `${source}:${line}: unterminated comment`, FORMAT_HINT, {
          where: `${source}:${line}`,
        });
      for (let j = i; j < end; j++) if (text[j] === '\n') line++;
      i = end + 2;
    } else if (c === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0)
        throw new DnsProviderError('invalid-input', `${source}:${line}: unterminated string`, FORMAT_HINT, {
          where: `${source}:${line}`,
        });
      out.push({ kind: 'string', text: text.slice(i + 1, end), line });
      for (let j = i; j < end; j++) if (text[j] === '\n') line++;
      i = end + 1;
    } else if (c === '{' || c === '}' || c === ';') {
      out.push({ kind: c, text: c, line });
      i++;
    } else {
      let j = i;
      while (j < text.length && !/[\s{};"#]/.test(text[j]!)) j++;
      out.push({ kind: 'word', text: text.slice(i, j), line });
      i = j;
    }
  }
  return out;
}
