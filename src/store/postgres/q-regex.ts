/**
 * Translates the regular expressions of q (`~=`), idPattern and scope wildcards from the syntax
 * and semantics Urbis defines them with (JavaScript, non-Unicode mode, as compileSafeRegex accepts
 * them, with an optional leading `(?i)`) into PostgreSQL advanced regular expressions (ARE) that
 * match the same strings, so that PostgreSQL filters them in SQL.
 *
 * What differs between the two dialects, and how it is bridged:
 * - Classes: `\d`, `\w`, `\s` (and negations), `.` and `[...]` are emitted as explicit code point
 *   sets (ARE's `\w` and `[[:alpha:]]` follow the locale; JavaScript's are ASCII, and `.` excludes
 *   line terminators). `[]` never matches and `[^]` matches anything, as in JavaScript.
 * - Case-insensitivity (`(?i)`): every letter and class is expanded to the code units JavaScript's
 *   case folding equates (Canonicalize with toUpperCase), independent of the database's collation.
 * - `\b` / `\B` become look-arounds on ASCII word characters (ARE's `\b` is a backspace); `\xHH`
 *   and `\uHHHH` are emitted with exact widths (ARE's `\x` takes any number of hex digits);
 *   identity escapes of letters (`\a` means `a` in JavaScript, a bell in ARE) become literals;
 *   legacy octal escapes and `\8`, `\9` follow Annex B; named groups and `\k<name>` become
 *   numbered ones; look-arounds keep their groups out of the numbering, as ARE does.
 * - Inputs longer than MAX_REGEX_INPUT_LENGTH never match (the caller adds the length condition).
 *
 * Known limits: JavaScript matches UTF-16 code units, PostgreSQL code points, so a character
 * outside the Basic Multilingual Plane counts as one character for `.`, classes and quantifiers
 * (JavaScript counts two); ARE rejects repetition counts above 255 and back references inside
 * look-arounds (the query then fails with BadRequestData, see the broker store).
 */
import { compileSafeRegex } from '../../broker/query/regex-guard.js';

export { MAX_REGEX_INPUT_LENGTH } from '../../broker/query/regex-guard.js';

/** A set of code points as sorted, disjoint, inclusive ranges. */
type CodeSet = Array<[number, number]>;

const MAX_CODE_POINT = 0x10ffff;
/** Surrogates never occur in PostgreSQL text; NUL neither. */
const SURROGATES: [number, number] = [0xd800, 0xdfff];
/** An atom that matches nothing. */
const NEVER = '[^\\u0001-\\U0010FFFF]';
/** JavaScript's \w. */
const WORD: CodeSet = [
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
];
const DIGIT: CodeSet = [[0x30, 0x39]];
/** JavaScript's \s: WhiteSpace and LineTerminator. */
const SPACE: CodeSet = normalize([
  [0x09, 0x0d],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x2000, 0x200a],
  [0x2028, 0x2029],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
  [0xfeff, 0xfeff],
]);
/** What `.` matches: anything but a line terminator. */
const DOT: CodeSet = complement([
  [0x0a, 0x0a],
  [0x0d, 0x0d],
  [0x2028, 0x2029],
]);
const WORD_CLASS = emitSet(WORD);
/** `\b` and `\B` on JavaScript's (ASCII) word characters. */
const WORD_BOUNDARY = `(?:(?<=${WORD_CLASS})(?!${WORD_CLASS})|(?<!${WORD_CLASS})(?=${WORD_CLASS}))`;
const NOT_WORD_BOUNDARY = `(?:(?<=${WORD_CLASS})(?=${WORD_CLASS})|(?<!${WORD_CLASS})(?!${WORD_CLASS}))`;

const CACHE = new Map<string, string>();
const CACHE_SIZE = 256;

/** The PostgreSQL ARE matching what `pattern` matches in Urbis (throws BadRequestData for invalid or unsafe patterns). */
export function toPostgresRegex(pattern: string): string {
  let out = CACHE.get(pattern);
  if (out === undefined) {
    compileSafeRegex(pattern, 'regular expression');
    out = new Translator(pattern).translate();
    if (CACHE.size >= CACHE_SIZE) CACHE.delete(CACHE.keys().next().value as string);
    CACHE.set(pattern, out);
  }
  return out;
}

class Translator {
  private readonly p: string;
  private readonly ignoreCase: boolean;
  private i = 0;
  /** JavaScript group number → ARE group number (null: inside a look-around, not capturing in ARE). */
  private readonly groupNumbers: Array<number | null> = [];
  private readonly groupNames = new Map<string, number>();
  private hasBackReference = false;

  constructor(pattern: string) {
    this.ignoreCase = pattern.startsWith('(?i)');
    this.p = this.ignoreCase ? pattern.slice(4) : pattern;
    this.scanGroups();
  }

  translate(): string {
    const body = this.sequence(0);
    // Letters are already expanded; ARE's own folding only matters for back references.
    return this.ignoreCase && this.hasBackReference ? `(?i)${body}` : body;
  }

  /** Numbers the capturing groups as JavaScript and ARE do (ARE does not capture inside look-arounds). */
  private scanGroups(): void {
    const p = this.p;
    const lookarounds: number[] = []; // depths at which a look-around was opened
    let depth = 0;
    let are = 0;
    for (let i = 0; i < p.length; i++) {
      const c = p[i];
      if (c === '\\') i++;
      else if (c === '[') i = classEnd(p, i + 1) - 1;
      else if (c === ')') {
        depth--;
        if (lookarounds[lookarounds.length - 1] === depth) lookarounds.pop();
      } else if (c === '(') {
        const kind = groupKind(p, i);
        if (kind.lookaround) lookarounds.push(depth);
        depth++;
        if (kind.capturing) {
          const n = lookarounds.length > 0 ? null : ++are;
          this.groupNumbers.push(n);
          if (kind.name !== undefined) this.groupNames.set(kind.name, this.groupNumbers.length);
        }
      }
    }
  }

  /** Translates alternatives until the `)` closing depth `depth` (or the end). */
  private sequence(depth: number): string {
    const p = this.p;
    let out = '';
    while (this.i < p.length) {
      const c = p[this.i];
      if (c === ')' && depth > 0) return out;
      if (c === '|') {
        this.i++;
        out += '|';
        continue;
      }
      const atom = this.atom(depth);
      out += atom + this.quantifier();
    }
    return out;
  }

  private atom(depth: number): string {
    const p = this.p;
    const c = p[this.i];
    switch (c) {
      case '^':
      case '$':
        this.i++;
        return c;
      case '.':
        this.i++;
        return emitSet(this.folded(DOT));
      case '[':
        return this.characterClass();
      case '(':
        return this.group(depth);
      case '\\':
        return this.escape();
      default: {
        const quantifier = readQuantifier(p, this.i);
        if (quantifier === null && (c === '{' || c === '}' || c === ']')) {
          this.i++;
          return '\\' + c;
        }
        return this.literal(this.takeCodeUnitPair());
      }
    }
  }

  /** The code unit at the cursor, or the code point of a surrogate pair that no quantifier splits. */
  private takeCodeUnitPair(): number {
    const p = this.p;
    const hi = p.charCodeAt(this.i);
    this.i++;
    if (hi >= 0xd800 && hi <= 0xdbff && this.i < p.length) {
      const lo = p.charCodeAt(this.i);
      if (lo >= 0xdc00 && lo <= 0xdfff && readQuantifier(p, this.i + 1) === null) {
        this.i++;
        return 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
      }
    }
    return hi;
  }

  private group(depth: number): string {
    const kind = groupKind(this.p, this.i);
    this.i += kind.prefixLength;
    const inner = this.sequence(depth + 1);
    this.i++; // ')'
    return `${kind.are}${inner})`;
  }

  private quantifier(): string {
    const q = readQuantifier(this.p, this.i);
    if (q === null) return '';
    this.i = q.end;
    return q.text;
  }

  /** An escape outside a class. */
  private escape(): string {
    const p = this.p;
    const c = p[this.i + 1];
    if (c === undefined) {
      this.i++;
      return '\\\\';
    }
    switch (c) {
      case 'b':
        this.i += 2;
        return WORD_BOUNDARY;
      case 'B':
        this.i += 2;
        return NOT_WORD_BOUNDARY;
      case 'k': {
        const m = /^\\k<([^>]+)>/.exec(p.slice(this.i));
        if (this.groupNames.size > 0 && m !== null && this.groupNames.has(m[1])) {
          this.i += m[0].length;
          return this.backReference(this.groupNames.get(m[1]) as number);
        }
        break;
      }
      default:
        if (c >= '1' && c <= '9') {
          const digits = /^\d+/.exec(p.slice(this.i + 1))![0];
          if (Number(digits) <= this.groupNumbers.length) {
            this.i += 1 + digits.length;
            return this.backReference(Number(digits));
          }
        }
    }
    const set = classEscape(c);
    if (set !== null) {
      this.i += 2;
      return emitSet(this.folded(set));
    }
    const { code, length } = characterEscape(p, this.i);
    this.i += length;
    return this.literal(code);
  }

  private backReference(jsGroup: number): string {
    const n = this.groupNumbers[jsGroup - 1];
    // A group captured inside a look-around: ARE cannot refer to it; it matches the empty string
    // in JavaScript when the look-around's capture is not kept, which is the usual case.
    if (n === null) return '';
    this.hasBackReference = true;
    return `(?:\\${n})`;
  }

  private characterClass(): string {
    const p = this.p;
    let i = this.i + 1;
    const negated = p[i] === '^';
    if (negated) i++;
    const items: CodeSet = [];
    while (i < p.length && p[i] !== ']') {
      let code: number;
      if (p[i] === '\\') {
        const set = p[i + 1] === 'b' ? null : classEscape(p[i + 1]);
        if (set !== null) {
          items.push(...set);
          i += 2;
          continue;
        }
        const esc = p[i + 1] === 'b' ? { code: 8, length: 2 } : characterEscape(p, i);
        code = esc.code;
        i += esc.length;
      } else {
        code = p.charCodeAt(i);
        i++;
      }
      if (p[i] === '-' && p[i + 1] !== undefined && p[i + 1] !== ']') {
        // `a-z`; Annex B: when an end is a class escape, '-' is literal.
        const endStart = i + 1;
        let end: number;
        let endLength: number;
        if (p[endStart] === '\\') {
          const set = p[endStart + 1] === 'b' ? null : classEscape(p[endStart + 1]);
          if (set !== null) {
            items.push([code, code], [0x2d, 0x2d]);
            i = endStart;
            continue;
          }
          const esc = p[endStart + 1] === 'b' ? { code: 8, length: 2 } : characterEscape(p, endStart);
          end = esc.code;
          endLength = esc.length;
        } else {
          end = p.charCodeAt(endStart);
          endLength = 1;
        }
        items.push([code, end]);
        i = endStart + endLength;
        continue;
      }
      items.push([code, code]);
    }
    this.i = i + 1;
    let set = this.folded(normalize(items));
    if (negated) set = complement(set);
    return set.length === 0 ? NEVER : emitSet(set);
  }

  /** A literal code point (or code unit), expanded to its case variants when ignoring case. */
  private literal(code: number): string {
    if (this.ignoreCase && code <= 0xffff) {
      const variants = caseVariants(code);
      if (variants.length > 1) return emitSet(normalize(variants.map((v) => [v, v])));
    }
    return emitChar(code);
  }

  /** The set closed under JavaScript's case folding, when ignoring case. */
  private folded(set: CodeSet): CodeSet {
    return this.ignoreCase ? foldSet(set) : set;
  }
}

interface GroupKind {
  /** Length of `(`, `(?:`, `(?=`, `(?<name>`... */
  prefixLength: number;
  /** The ARE opening text. */
  are: string;
  capturing: boolean;
  lookaround: boolean;
  name?: string;
}

function groupKind(p: string, i: number): GroupKind {
  if (p[i + 1] !== '?') return { prefixLength: 1, are: '(', capturing: true, lookaround: false };
  const two = p.slice(i + 2, i + 4);
  if (p[i + 2] === ':') return { prefixLength: 3, are: '(?:', capturing: false, lookaround: false };
  if (p[i + 2] === '=' || p[i + 2] === '!') return { prefixLength: 3, are: p.slice(i, i + 3), capturing: false, lookaround: true };
  if (two === '<=' || two === '<!') return { prefixLength: 4, are: p.slice(i, i + 4), capturing: false, lookaround: true };
  const close = p.indexOf('>', i);
  return { prefixLength: close - i + 1, are: '(', capturing: true, lookaround: false, name: p.slice(i + 3, close) };
}

/** Index just after the `]` closing a class whose body starts at `i` (JavaScript: `[]` is empty). */
function classEnd(p: string, i: number): number {
  if (p[i] === '^') i++;
  while (i < p.length && p[i] !== ']') i += p[i] === '\\' ? 2 : 1;
  return i + 1;
}

interface Quantifier {
  text: string;
  end: number;
}

function readQuantifier(p: string, i: number): Quantifier | null {
  let end: number;
  const c = p[i];
  if (c === '*' || c === '+' || c === '?') end = i + 1;
  else if (c === '{') {
    const m = /^\{\d+(,\d*)?\}/.exec(p.slice(i, i + 24));
    if (m === null) return null;
    end = i + m[0].length;
  } else return null;
  if (p[end] === '?') end++;
  return { text: p.slice(i, end), end };
}

/** The set of `\d \D \w \W \s \S`, or null for other escapes. */
function classEscape(c: string | undefined): CodeSet | null {
  switch (c) {
    case 'd':
      return DIGIT;
    case 'D':
      return complement(DIGIT);
    case 'w':
      return WORD;
    case 'W':
      return complement(WORD);
    case 's':
      return SPACE;
    case 'S':
      return complement(SPACE);
    default:
      return null;
  }
}

const CONTROL_ESCAPES: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b, f: 0x0c };

/** A character escape at `i` (the backslash): its code unit and length, as JavaScript (Annex B) reads it. */
function characterEscape(p: string, i: number): { code: number; length: number } {
  const c = p[i + 1];
  if (c === undefined) return { code: 0x5c, length: 1 };
  if (c in CONTROL_ESCAPES) return { code: CONTROL_ESCAPES[c], length: 2 };
  if (c === 'c') {
    const x = p[i + 2];
    if (x !== undefined && /[A-Za-z]/.test(x)) return { code: x.charCodeAt(0) % 32, length: 3 };
    return { code: 0x5c, length: 1 }; // a literal backslash; 'c' follows as a literal
  }
  if (c === 'x' && /^[0-9A-Fa-f]{2}$/.test(p.slice(i + 2, i + 4))) return { code: parseInt(p.slice(i + 2, i + 4), 16), length: 4 };
  if (c === 'u' && /^[0-9A-Fa-f]{4}$/.test(p.slice(i + 2, i + 6))) return { code: parseInt(p.slice(i + 2, i + 6), 16), length: 6 };
  if (c >= '0' && c <= '7') {
    // Legacy octal: up to three digits, at most 0o377.
    const m = /^[0-7]{1,3}/.exec(p.slice(i + 1))![0];
    const digits = parseInt(m, 8) > 0o377 ? m.slice(0, 2) : m;
    return { code: parseInt(digits, 8), length: 1 + digits.length };
  }
  return { code: c.charCodeAt(0), length: 2 };
}

/** Sorts and merges ranges; removes what PostgreSQL text cannot hold (NUL, surrogates). */
function normalize(set: CodeSet): CodeSet {
  const sorted = set.filter(([a, b]) => a <= b).sort((x, y) => x[0] - y[0]);
  const merged: CodeSet = [];
  for (const [a, b] of sorted) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  const out: CodeSet = [];
  for (const [a, b] of merged) {
    const from = Math.max(a, 1);
    if (from > b) continue;
    if (b < SURROGATES[0] || from > SURROGATES[1]) out.push([from, b]);
    else {
      if (from < SURROGATES[0]) out.push([from, SURROGATES[0] - 1]);
      if (b > SURROGATES[1]) out.push([SURROGATES[1] + 1, b]);
    }
  }
  return out;
}

/** Every code point PostgreSQL text can hold that is not in `set`. */
function complement(set: CodeSet): CodeSet {
  const s = normalize(set);
  const out: CodeSet = [];
  let next = 1;
  for (const [a, b] of s) {
    if (a > next) out.push([next, a - 1]);
    next = b + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return normalize(out);
}

function hex(code: number): string {
  return code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\U${code.toString(16).padStart(8, '0')}`;
}

function emitChar(code: number): string {
  if (code < 0x80) {
    const ch = String.fromCharCode(code);
    if (/[A-Za-z0-9]/.test(ch)) return ch;
    if (code >= 0x20 && code < 0x7f) return '\\' + ch;
  }
  return code === 0 ? NEVER : hex(code);
}

function emitSet(set: CodeSet): string {
  if (set.length === 0) return NEVER;
  if (set.length === 1 && set[0][0] === set[0][1]) return emitChar(set[0][0]);
  return '[' + set.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join('') + ']';
}

// ---------------------------------------------------------------------------------------------
// Case folding as JavaScript's non-Unicode regular expressions do it (Canonicalize)
// ---------------------------------------------------------------------------------------------

let canonical: Uint16Array | undefined;
let byCanonical: Map<number, number[]> | undefined;

function canonicalTable(): { canon: Uint16Array; inverse: Map<number, number[]> } {
  if (!canonical || !byCanonical) {
    canonical = new Uint16Array(0x10000);
    byCanonical = new Map();
    for (let ch = 0; ch <= 0xffff; ch++) {
      const upper = String.fromCharCode(ch).toUpperCase();
      let c = ch;
      if (upper.length === 1) {
        const cu = upper.charCodeAt(0);
        c = ch >= 128 && cu < 128 ? ch : cu;
      }
      canonical[ch] = c;
      const list = byCanonical.get(c);
      if (list) list.push(ch);
      else byCanonical.set(c, [ch]);
    }
  }
  return { canon: canonical, inverse: byCanonical };
}

/** The code units that match `code` ignoring case. */
function caseVariants(code: number): number[] {
  const { canon, inverse } = canonicalTable();
  return inverse.get(canon[code]) ?? [code];
}

/** `set` plus every code unit that matches one of its members ignoring case. */
function foldSet(set: CodeSet): CodeSet {
  const { canon, inverse } = canonicalTable();
  const extra: CodeSet = [];
  const seen = new Set<number>();
  for (const [a, b] of set) {
    for (let ch = a; ch <= Math.min(b, 0xffff); ch++) {
      const c = canon[ch];
      if (seen.has(c)) continue;
      seen.add(c);
      for (const v of inverse.get(c) ?? []) if (v < a || v > b) extra.push([v, v]);
    }
  }
  return normalize([...set, ...extra]);
}
