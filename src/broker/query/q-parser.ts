/**
 * Parser of the NGSI-LD query language (`q`, ETSI GS CIM 009 clause 4.9) into a {@link QNode}.
 *
 * Also exports the pieces shared with the sibling selection languages (entity type selection,
 * scopeQ): the {@link Logical} tree, the {@link SyntaxReader} and {@link parseLogical}, which
 * implements `;` (AND) binding tighter than the OR operators, parentheses, and the size limits.
 *
 * Syntax accepted (no whitespace anywhere except inside quoted strings):
 *
 * ```
 * Query      = Disjunction
 * Disjunction= Conjunction *("|" Conjunction)
 * Conjunction= Factor *(";" Factor)
 * Factor     = "(" Disjunction ")" / Term             ; nesting up to MAX_NESTING levels
 * Term       = "!" Attribute                          ; the attribute does not exist
 *            / Attribute                              ; the attribute exists
 *            / Attribute ("==" / "!=") EqOperand
 *            / Attribute (">" / ">=" / "<" / "<=") Comparable
 *            / Attribute ("~=" / "!~=") RegExp
 * Attribute  = Name *("." Name) *("[" Key *("." Key) "]")
 * EqOperand  = Comparable ".." Comparable / Value *("," Value)
 * Value      = Comparable / "true" / "false" / URI
 * Comparable = DateTime / Date / Time / Number / QuotedString
 * ```
 *
 * - Names: letters, digits, `_`, `-`, `:`, `/`, `#`. In `a.b.c`, `b` and `c` are sub-attributes
 *   (properties of properties); the last element may instead be one of the members observedAt,
 *   unitCode, datasetId, createdAt, modifiedAt. An attribute written as a full IRI (containing
 *   `://`) is taken whole, dots included; it can only be followed by one of those members.
 * - `a[b.c]`, `a[b][c]` and `a.b[c]`: a trailing path of keys inside the JSON value, kept verbatim.
 *   Keys may contain any character except `[`, `]`, `.` and whitespace.
 * - Quoted strings: `"..."`; `\"` stands for `"` and `\\` for `\`; any other backslash is kept.
 * - Unquoted values are, in this order: a DateTime (`2024-01-01T10:00:00Z`, optional seconds,
 *   fraction and `Z`/`±hh:mm` offset), a Date (`2024-01-01`), a Time (`10:00:00`), a Number
 *   (`-1.5e3`), `true`/`false`, or a URI (`scheme:rest`, e.g. `urn:ngsi-ld:Building:B1`, ending at
 *   the next `;`, `|`, `(`, `)`, `,` or `"`). Any other bare word is an error: strings must be quoted.
 * - Regular expressions after `~=`/`!~=` are either a quoted string or unquoted; an unquoted one
 *   ends at the first `;`, `|` or `)` that is outside a group or character class of the
 *   expression itself, so `a~=(foo|bar)x` works unquoted while top-level alternation needs quotes
 *   (`a~="foo|bar"`). They are checked with compileSafeRegex; a leading `(?i)` means
 *   case-insensitive.
 *
 * Errors are BadRequestData naming the (1-based) position and the text at fault, e.g.
 * `q: unexpected ')' at position 5 in "a==1)"`; a q longer than MAX_QUERY_LENGTH or nested
 * deeper than MAX_NESTING is a TooComplexQuery.
 */
import { badRequest, tooComplex, type NgsiError } from '../../errors.js';
import { dateTimeMillis } from '../values/validate.js';
import { compileSafeRegex } from './regex-guard.js';

/** Longest accepted query (q, type selection, scopeQ), in characters. */
export const MAX_QUERY_LENGTH = 4000;
/** Deepest accepted parenthesis nesting. */
export const MAX_NESTING = 32;

// ---------------------------------------------------------------------------------------------
// AST
// ---------------------------------------------------------------------------------------------

/** A boolean combination of leaves of type L. `and`/`or` always have at least two items. */
export type Logical<L> = L | LogicalNode<L>;

export interface LogicalNode<L> {
  kind: 'and' | 'or';
  items: Logical<L>[];
}

/** Whether `node` is an `and`/`or` node rather than a leaf (leaves never use those kinds). */
export function isLogicalNode<L>(node: Logical<L>): node is LogicalNode<L> {
  const kind = (node as { kind?: unknown }).kind;
  return kind === 'and' || kind === 'or';
}

/** A parsed q. */
export type QNode = Logical<QTerm>;

/** One query term (a leaf of a q). */
export type QTerm =
  /** `a`: the entity has the attribute (and the path, if any, exists in some instance). */
  | { kind: 'exists'; attr: AttrPath }
  /** `!a`: no instance of the attribute has the path. */
  | { kind: 'notExists'; attr: AttrPath }
  /** `a==v`, `a!=v1,v2`, `a>=v`, `a==v1..v2`... */
  | { kind: 'compare'; attr: AttrPath; op: CompareOp; operand: QOperand }
  /** `a~=re` (or `a!~=re` when negated). `pattern` is the source, checked by compileSafeRegex. */
  | { kind: 'match'; attr: AttrPath; negated: boolean; pattern: string };

export type CompareOp = '==' | '!=' | '>' | '>=' | '<' | '<=';

/** The right-hand side of a comparison. */
export type QOperand =
  /** One value, or (only with `==`/`!=`) a list meaning "any of". */
  | { kind: 'values'; values: QValue[] }
  /** An inclusive range (only with `==`/`!=`); both bounds have the same type. */
  | { kind: 'range'; from: ComparableValue; to: ComparableValue };

/** A value that can be ordered (allowed with `<`, `>`... and as range bounds). */
export type ComparableValue =
  | { type: 'number'; value: number }
  /** A quoted string, unescaped. */
  | { type: 'string'; value: string }
  /** A date-time; `ms` is its instant in epoch milliseconds (no offset means UTC). */
  | { type: 'dateTime'; value: string; ms: number }
  /** A date `YYYY-MM-DD`; `ms` is its midnight UTC. */
  | { type: 'date'; value: string; ms: number }
  /** A time `hh:mm[:ss[.f]][Z]`. */
  | { type: 'time'; value: string };

export type QValue = ComparableValue | { type: 'boolean'; value: boolean } | { type: 'uri'; value: string };

/** Members of an attribute (instance) that a path may end with instead of a sub-attribute. */
export const ATTRIBUTE_PATH_MEMBERS = ['observedAt', 'unitCode', 'datasetId', 'createdAt', 'modifiedAt'] as const;
export type AttrPathMember = (typeof ATTRIBUTE_PATH_MEMBERS)[number];

/** The target of a term: `name.subAttrs[0]...member[jsonPath[0].jsonPath[1]...]`. */
export interface AttrPath {
  /** The attribute name as written (to be expanded with the @context). */
  name: string;
  /** Sub-attribute names as written, outermost first (`a.b.c` → ['b', 'c']); to be expanded. */
  subAttrs: string[];
  /** A member of the (sub-)attribute instance ending the path (`a.observedAt`), if any. */
  member?: AttrPathMember;
  /** Keys inside the JSON value, verbatim (`a[b.c]` → ['b', 'c']); empty when none. */
  jsonPath: string[];
  /** The attribute exactly as written, for messages. */
  text: string;
}

// ---------------------------------------------------------------------------------------------
// Shared reader and logical-expression parser
// ---------------------------------------------------------------------------------------------

/** A cursor over a query string that produces well-located errors. */
export class SyntaxReader {
  pos = 0;

  /** `where` names the parameter in messages ("q", "type", "scopeQ"...). */
  constructor(
    readonly input: string,
    readonly where: string,
  ) {}

  /** The character at the cursor (plus `offset`), or '' past the end. */
  peek(offset = 0): string {
    return this.input.charAt(this.pos + offset);
  }

  atEnd(): boolean {
    return this.pos >= this.input.length;
  }

  /** Consumes and returns the longest run of characters matching `allowed`. */
  takeWhile(allowed: (c: string) => boolean): string {
    const start = this.pos;
    while (this.pos < this.input.length && allowed(this.input[this.pos])) this.pos++;
    return this.input.slice(start, this.pos);
  }

  /** A BadRequestData locating `message` at `at` (default: the cursor). */
  error(message: string, at = this.pos): NgsiError {
    return badRequest(`${this.where}: ${message} at position ${at + 1} in "${this.excerpt(at)}"`);
  }

  /** An error for the character at the cursor, or for a premature end. */
  unexpected(expected?: string): NgsiError {
    if (this.atEnd()) return this.error(`unexpected end${expected ? `, expected ${expected}` : ''}`);
    const c = this.peek();
    const what = /\s/.test(c) ? 'whitespace (not allowed outside quoted strings)' : `'${c}'`;
    return this.error(`unexpected ${what}${expected ? `, expected ${expected}` : ''}`);
  }

  /** The input, or a window of it around `at` when it is long. */
  private excerpt(at: number): string {
    if (this.input.length <= 80) return this.input;
    const from = Math.max(0, at - 30);
    const to = Math.min(this.input.length, at + 30);
    return `${from > 0 ? '…' : ''}${this.input.slice(from, to)}${to < this.input.length ? '…' : ''}`;
  }
}

/** How {@link parseLogical} reads one language. */
export interface LogicalSyntax<L> {
  /** Characters acting as OR (AND is always `;`). */
  orOperators: string;
  /** What a leaf is called in messages, with its article ("a query term", "an entity type"...). */
  leafName: string;
  /** Reads one leaf at the cursor, stopping before the next operator or parenthesis. */
  parseLeaf: (reader: SyntaxReader) => L;
}

/**
 * Parses a whole `;`/OR/parenthesis expression (AND binds tighter than OR), enforcing
 * MAX_QUERY_LENGTH and MAX_NESTING (TooComplexQuery) and rejecting empty input and trailing text.
 */
export function parseLogical<L>(input: string, where: string, syntax: LogicalSyntax<L>): Logical<L> {
  if (input.length > MAX_QUERY_LENGTH) {
    throw tooComplex(`${where}: longer than ${MAX_QUERY_LENGTH} characters (${input.length})`);
  }
  const r = new SyntaxReader(input, where);
  if (input.length === 0) throw badRequest(`${where}: empty expression`);
  const isOr = (c: string) => c !== '' && syntax.orOperators.includes(c);

  const disjunction = (depth: number): Logical<L> => {
    const items = [conjunction(depth)];
    while (isOr(r.peek())) {
      r.pos++;
      items.push(conjunction(depth));
    }
    return items.length === 1 ? items[0] : { kind: 'or', items };
  };
  const conjunction = (depth: number): Logical<L> => {
    const items = [factor(depth)];
    while (r.peek() === ';') {
      r.pos++;
      items.push(factor(depth));
    }
    return items.length === 1 ? items[0] : { kind: 'and', items };
  };
  const factor = (depth: number): Logical<L> => {
    const c = r.peek();
    if (c === '(') {
      const open = r.pos;
      if (depth >= MAX_NESTING) {
        throw tooComplex(`${where}: parentheses nested deeper than ${MAX_NESTING} at position ${open + 1}`);
      }
      r.pos++;
      const inner = disjunction(depth + 1);
      if (r.peek() !== ')') {
        throw r.atEnd() ? r.error(`missing ')' for the '(' opened`, open) : r.unexpected(`')'`);
      }
      r.pos++;
      return inner;
    }
    if (c === '' || c === ')' || c === ';' || isOr(c)) throw r.unexpected(syntax.leafName);
    const leaf = syntax.parseLeaf(r);
    const next = r.peek();
    if (next !== '' && next !== ')' && next !== ';' && !isOr(next)) throw r.unexpected();
    return leaf;
  };

  const tree = disjunction(0);
  if (!r.atEnd()) throw r.unexpected();
  return tree;
}

// ---------------------------------------------------------------------------------------------
// q
// ---------------------------------------------------------------------------------------------

/** Parses a q into its AST; throws BadRequestData / TooComplexQuery (see the module comment). */
export function parseQ(q: string, where = 'q'): QNode {
  return parseLogical(q, where, { orOperators: '|', leafName: 'a query term', parseLeaf: parseTerm });
}

const NAME_CHAR = /[\p{L}\p{N}_\-:/#]/u;
const isNameChar = (c: string) => NAME_CHAR.test(c);
const isKeyChar = (c: string) => c !== '[' && c !== ']' && c !== '.' && !/\s/.test(c);
const OPERATOR_CHARS = '=!<>~';
const OPERATORS = new Set(['==', '!=', '>', '>=', '<', '<=', '~=', '!~=']);

function parseTerm(r: SyntaxReader): QTerm {
  if (r.peek() === '!') {
    r.pos++;
    const attr = parseAttribute(r);
    if (!r.atEnd() && OPERATOR_CHARS.includes(r.peek())) {
      throw r.error(`'!${attr.text}' (non-existence) cannot be followed by an operator`);
    }
    return { kind: 'notExists', attr };
  }
  const attr = parseAttribute(r);
  const opStart = r.pos;
  const op = r.takeWhile((c) => OPERATOR_CHARS.includes(c));
  if (op === '') return { kind: 'exists', attr };
  if (!OPERATORS.has(op)) throw r.error(`unknown operator '${op}'`, opStart);
  if (op === '~=' || op === '!~=') {
    return { kind: 'match', attr, negated: op === '!~=', pattern: parseRegex(r, op) };
  }
  return { kind: 'compare', attr, op: op as CompareOp, operand: parseOperand(r, op as CompareOp) };
}

function parseAttribute(r: SyntaxReader): AttrPath {
  const start = r.pos;
  const segments: string[] = [];
  for (;;) {
    const segStart = r.pos;
    const seg = r.takeWhile(isNameChar);
    if (seg === '') {
      throw segments.length === 0 ? r.unexpected('an attribute name') : r.error('empty attribute path element', segStart);
    }
    segments.push(seg);
    if (r.peek() !== '.') break;
    r.pos++;
  }
  const jsonPath: string[] = [];
  while (r.peek() === '[') {
    r.pos++;
    for (;;) {
      const keyStart = r.pos;
      const key = r.takeWhile(isKeyChar);
      if (key === '') throw r.error('empty key in trailing path', keyStart);
      jsonPath.push(key);
      if (r.peek() !== '.') break;
      r.pos++;
    }
    if (r.peek() !== ']') throw r.unexpected(`']'`);
    r.pos++;
  }
  const text = r.input.slice(start, r.pos);
  const last = segments[segments.length - 1];
  const member = segments.length > 1 && isMember(last) ? last : undefined;
  if (member !== undefined) segments.pop();
  if (member !== undefined && jsonPath.length > 0) {
    throw r.error(`a trailing path cannot follow '${member}' in '${text}'`, start);
  }
  if (segments[0].includes('://')) {
    // A full IRI: its dots are part of the name.
    return { name: segments.join('.'), subAttrs: [], member, jsonPath, text };
  }
  const misplaced = segments.slice(1).find(isMember);
  if (misplaced !== undefined) {
    throw r.error(`'${misplaced}' may only end an attribute path, in '${text}'`, start);
  }
  return { name: segments[0], subAttrs: segments.slice(1), member, jsonPath, text };
}

function isMember(s: string): s is AttrPathMember {
  return (ATTRIBUTE_PATH_MEMBERS as readonly string[]).includes(s);
}

function parseOperand(r: SyntaxReader, op: CompareOp): QOperand {
  const equality = op === '==' || op === '!=';
  const firstPos = r.pos;
  const first = parseValue(r, op);
  if (r.peek() === '.' && r.peek(1) === '.') {
    if (!equality) throw r.error(`a range is only allowed with '==' or '!=', not '${op}'`);
    r.pos += 2;
    const secondPos = r.pos;
    const second = parseValue(r, '..');
    if (!isComparable(first)) throw r.error(`a range bound must be a number, string, date-time, date or time`, firstPos);
    if (second.type !== first.type) {
      throw r.error(`range bounds must have the same type (${first.type}..${second.type})`, secondPos);
    }
    return { kind: 'range', from: first, to: second as ComparableValue };
  }
  const values = [first];
  while (r.peek() === ',') {
    if (!equality) throw r.error(`a value list is only allowed with '==' or '!=', not '${op}'`);
    r.pos++;
    values.push(parseValue(r, ','));
  }
  if (!equality && !isComparable(first)) {
    throw r.error(`'${op}' needs a number, quoted string, date-time, date or time`, firstPos);
  }
  return { kind: 'values', values };
}

function isComparable(v: QValue): v is ComparableValue {
  return v.type !== 'boolean' && v.type !== 'uri';
}

/** Characters that may follow a value: end of term, list separator, or range dots. */
const VALUE_END = /[;|),.]|$/y;

/** Unquoted value syntaxes, tried in this order; each builds the value from its token. */
const UNQUOTED_VALUES: [RegExp, (token: string, r: SyntaxReader, at: number) => QValue][] = [
  [
    /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?/y,
    (t, r, at) => {
      const ms = dateTimeMillis(t);
      if (ms === null) throw r.error(`invalid date-time '${t}'`, at);
      return { type: 'dateTime', value: t, ms };
    },
  ],
  [
    /\d{4}-\d{2}-\d{2}/y,
    (t, r, at) => {
      const ms = Date.parse(`${t}T00:00:00Z`);
      if (Number.isNaN(ms)) throw r.error(`invalid date '${t}'`, at);
      return { type: 'date', value: t, ms };
    },
  ],
  [/([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?Z?/y, (t) => ({ type: 'time', value: t })],
  [/-?\d+(\.\d+)?([eE][+-]?\d+)?/y, (t) => ({ type: 'number', value: Number(t) })],
  [/(true|false)(?![\p{L}\p{N}_\-:/#])/uy, (t) => ({ type: 'boolean', value: t === 'true' })],
  [/[A-Za-z][A-Za-z0-9+.-]*:[^\s;|(),"]+/y, (t) => ({ type: 'uri', value: t })],
];

/** Reads the value at the cursor; `after` is the operator or separator before it (for messages). */
function parseValue(r: SyntaxReader, after: string): QValue {
  const start = r.pos;
  if (r.peek() === '"') return { type: 'string', value: readQuoted(r) };
  let longest = start;
  for (const [syntax, build] of UNQUOTED_VALUES) {
    syntax.lastIndex = start;
    const m = syntax.exec(r.input);
    if (m === null) continue;
    const end = start + m[0].length;
    VALUE_END.lastIndex = end;
    if (VALUE_END.test(r.input)) {
      const value = build(m[0], r, start);
      r.pos = end;
      return value;
    }
    longest = Math.max(longest, end);
  }
  if (longest > start) {
    r.pos = longest;
    throw r.unexpected();
  }
  const word = r.takeWhile((c) => !/[\s;|(),"]/.test(c));
  if (word === '') throw r.atEnd() ? r.error(`expected a value after '${after}'`) : r.unexpected(`a value after '${after}'`);
  throw r.error(`invalid value '${word}' (strings must be quoted)`, start);
}

/** Reads a `"..."` string at the cursor and returns its content (`\"` → `"`, `\\` → `\`). */
function readQuoted(r: SyntaxReader): string {
  const open = r.pos;
  let out = '';
  let i = open + 1;
  const s = r.input;
  while (i < s.length && s[i] !== '"') {
    if (s[i] === '\\' && (s[i + 1] === '"' || s[i + 1] === '\\')) {
      out += s[i + 1];
      i += 2;
    } else {
      out += s[i++];
    }
  }
  if (i >= s.length) throw r.error('unterminated quoted string', open);
  r.pos = i + 1;
  return out;
}

/** Reads the regular expression after `~=`/`!~=` (see the module comment) and checks it. */
function parseRegex(r: SyntaxReader, op: string): string {
  const start = r.pos;
  let pattern: string;
  if (r.peek() === '"') {
    pattern = readQuoted(r);
  } else {
    const s = r.input;
    let i = start;
    let depth = 0;
    let inClass = false;
    for (; i < s.length; i++) {
      const c = s[i];
      if (/\s/.test(c)) break;
      if (c === '\\') {
        i++;
      } else if (inClass) {
        if (c === ']') inClass = false;
      } else if (c === '[') {
        inClass = true;
      } else if (c === '(') {
        depth++;
      } else if (c === ')') {
        if (depth === 0) break;
        depth--;
      } else if (depth === 0 && (c === ';' || c === '|')) {
        break;
      }
    }
    pattern = s.slice(start, Math.min(i, s.length));
    r.pos = Math.min(i, s.length);
  }
  if (pattern === '') throw r.error(`expected a regular expression after '${op}'`, start);
  compileSafeRegex(pattern, `${r.where} (position ${start + 1})`);
  return pattern;
}

/**
 * One elementary test of a compare or match term: a comparison with one value (`==` and `!=` both
 * test `=`; the caller negates `!=`), a range, or a regular-expression match. A list operand gives
 * one test per value. The SQL compiler and the in-memory evaluator both work from these.
 */
export type ElementaryTest =
  | { op: '=' | '<' | '<=' | '>' | '>='; value: QValue }
  | { op: 'between'; value: ComparableValue; to: ComparableValue }
  | { op: 'regexp'; pattern: string };

export function elementaryTests(term: Extract<QTerm, { kind: 'compare' | 'match' }>): ElementaryTest[] {
  if (term.kind === 'match') return [{ op: 'regexp', pattern: term.pattern }];
  const { op, operand } = term;
  if (operand.kind === 'range') return [{ op: 'between', value: operand.from, to: operand.to }];
  const single = op === '==' || op === '!=' ? '=' : op;
  return operand.values.map((value) => ({ op: single, value }));
}
