/**
 * Guarded compilation of user-supplied regular expressions (q `~=`, idPattern, scope wildcards...).
 *
 * A pattern is accepted only when it is short, valid JavaScript syntax, and free of the shapes
 * that make a backtracking engine explode: a repeated group whose body itself repeats a variable
 * number of times (star height > 1, e.g. `(a+)+`, `(a*)*`, `(.*a){20}`), or a repeated group whose
 * alternatives may start with the same character (e.g. `(a|a)*`, `(\d|1)+`). The check is a
 * deliberately conservative scan of the pattern's structure, not a full regex parser: it may reject
 * some harmless patterns (`(\s*,\s*\w+)*`), never the other way round for the shapes above.
 *
 * The compiled expression additionally refuses to evaluate inputs longer than
 * {@link MAX_REGEX_INPUT_LENGTH} (they simply do not match), which bounds the polynomial cost of
 * patterns such as `\d*\d*\d*x`.
 */
import { badRequest } from '../../errors.js';

/** Longest accepted pattern, in characters. */
export const MAX_REGEX_LENGTH = 256;
/** Longest input a guarded expression is evaluated on; longer inputs never match. */
export const MAX_REGEX_INPUT_LENGTH = 10_000;
/** A leading `(?i)` (the usual NGSI-LD spelling of case-insensitivity) becomes the `i` flag. */
const CASE_INSENSITIVE_PREFIX = '(?i)';
/** The maximum of `*`, `+` and `{n,}`. */
const UNBOUNDED = Number.POSITIVE_INFINITY;

/** A RegExp whose exec (and so test, match, ...) does not run on over-long inputs. */
class BoundedRegExp extends RegExp {
  override exec(input: string): RegExpExecArray | null {
    return input.length > MAX_REGEX_INPUT_LENGTH ? null : super.exec(input);
  }
}

/**
 * Compiles `pattern` after checking it is safe to run; throws BadRequestData naming `where`
 * (e.g. "idPattern") and the pattern when it is too long, invalid or prone to catastrophic
 * backtracking. A leading `(?i)` makes the expression case-insensitive.
 */
export function compileSafeRegex(pattern: string, where: string): RegExp {
  const shown = pattern.length > 60 ? `${pattern.slice(0, 60)}…` : pattern;
  if (pattern.length > MAX_REGEX_LENGTH) {
    throw badRequest(`${where}: regular expression "${shown}" is longer than ${MAX_REGEX_LENGTH} characters`);
  }
  let body = pattern;
  let flags = '';
  if (body.startsWith(CASE_INSENSITIVE_PREFIX)) {
    body = body.slice(CASE_INSENSITIVE_PREFIX.length);
    flags = 'i';
  }
  let compiled: RegExp;
  try {
    compiled = new BoundedRegExp(body, flags);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err);
    throw badRequest(`${where}: invalid regular expression "${shown}": ${reason}`);
  }
  const hazard = findBacktrackingHazard(body);
  if (hazard !== null) {
    throw badRequest(`${where}: regular expression "${shown}" is prone to catastrophic backtracking (${hazard})`);
  }
  return compiled;
}

/** What the scan knows about one group (or the whole pattern) while inside it. */
interface GroupFrame {
  start: number;
  /** The body contains a quantifier that repeats a variable number of times (min < max, max > 1). */
  variableRepeat: boolean;
  /** First character of each alternative: a literal, '' (empty alternative) or null (not a plain literal). */
  firstChars: (string | null)[];
  /** Whether the current alternative has seen its first atom yet. */
  alternativeStarted: boolean;
}

interface Quantifier {
  min: number;
  max: number;
  /** Index just after the quantifier (and its lazy `?`). */
  end: number;
}

/**
 * Scans an (already syntactically valid) pattern and describes the first backtracking hazard
 * found, or returns null. Runs in one pass over the pattern.
 */
function findBacktrackingHazard(p: string): string | null {
  const stack: GroupFrame[] = [newFrame(0)];
  let i = 0;
  while (i < p.length) {
    const frame = stack[stack.length - 1];
    const c = p[i];
    if (c === '(') {
      stack.push(newFrame(i));
      i = skipGroupPrefix(p, i + 1);
      continue;
    }
    if (c === '|') {
      if (!frame.alternativeStarted) frame.firstChars.push('');
      frame.alternativeStarted = false;
      i++;
      continue;
    }
    if (c === ')') {
      const group = stack.pop() as GroupFrame;
      if (!group.alternativeStarted) group.firstChars.push('');
      const q = readQuantifier(p, i + 1);
      const parent = stack[stack.length - 1];
      noteAtom(parent, null);
      if (q !== null) {
        const fragment = p.slice(group.start, q.end);
        if (q.max > 1 && group.variableRepeat) return `nested quantifier in "${fragment}"`;
        if (q.max > 1 && group.firstChars.length > 1 && !distinctLiterals(group.firstChars)) {
          return `repeated alternation with overlapping alternatives in "${fragment}"`;
        }
      }
      parent.variableRepeat ||= group.variableRepeat || (q !== null && isVariableRepeat(q));
      i = q === null ? i + 1 : q.end;
      continue;
    }
    // A single atom: escape, character class, '.', an anchor or a literal character.
    let end: number;
    let literal: string | null = null;
    if (c === '\\') {
      end = i + 2;
    } else if (c === '[') {
      end = skipClass(p, i + 1);
    } else {
      end = i + 1;
      if (c !== '.' && c !== '^' && c !== '$') literal = c;
    }
    noteAtom(frame, literal);
    const q = readQuantifier(p, end);
    if (q !== null && isVariableRepeat(q)) frame.variableRepeat = true;
    i = q === null ? end : q.end;
  }
  return null;
}

function newFrame(start: number): GroupFrame {
  return { start, variableRepeat: false, firstChars: [], alternativeStarted: false };
}

/** Records the first atom of the current alternative. */
function noteAtom(frame: GroupFrame, literal: string | null): void {
  if (frame.alternativeStarted) return;
  frame.firstChars.push(literal);
  frame.alternativeStarted = true;
}

function distinctLiterals(firstChars: (string | null)[]): boolean {
  const seen = new Set<string>();
  for (const c of firstChars) {
    if (c === null || c === '' || seen.has(c)) return false;
    seen.add(c);
  }
  return true;
}

function isVariableRepeat(q: Quantifier): boolean {
  return q.max > 1 && q.min < q.max;
}

/** Index after `?:`, `?=`, `?!`, `?<=`, `?<!` or `?<name>` at the start of a group body. */
function skipGroupPrefix(p: string, i: number): number {
  if (p[i] !== '?') return i;
  if (p[i + 1] === '<' && p[i + 2] !== '=' && p[i + 2] !== '!') {
    const close = p.indexOf('>', i);
    return close < 0 ? i + 2 : close + 1;
  }
  return p[i + 1] === '<' ? i + 3 : i + 2;
}

/** Index just after the `]` closing a character class whose body starts at `i`. */
function skipClass(p: string, i: number): number {
  while (i < p.length && p[i] !== ']') i += p[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** The quantifier starting at `i`, if any (`*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, each optionally lazy). */
function readQuantifier(p: string, i: number): Quantifier | null {
  let min: number;
  let max: number;
  let end: number;
  const c = p[i];
  if (c === '*' || c === '+' || c === '?') {
    min = c === '+' ? 1 : 0;
    max = c === '?' ? 1 : UNBOUNDED;
    end = i + 1;
  } else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i, i + 24));
    if (m === null) return null;
    min = Number(m[1]);
    max = m[2] === undefined ? min : m[3] === '' ? UNBOUNDED : Number(m[3]);
    end = i + m[0].length;
  } else {
    return null;
  }
  if (p[end] === '?') end++;
  return { min, max, end };
}
