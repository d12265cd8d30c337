/**
 * Evaluates the parsed query languages (q, entity type selection, scopeQ) against one in-memory
 * Entity, with exactly the semantics of their SQL compilation (src/store/sqlite/q-sql.ts; read its
 * module comment for the rules). Subscriptions use it to test a changed entity without a query;
 * test/subscriptions/q-eval.test.ts checks on randomized entities that both always agree.
 */
import { mainMember } from '../input.js';
import { primaryValue, type AttrInstance, type AttributeKind, type Entity } from '../model.js';
import { comparableOf, type Comparable } from './comparable.js';
import { dateTimeMillis } from '../values/validate.js';
import { elementaryTests, isLogicalNode, type AttrPath, type ElementaryTest, type Logical, type QNode, type QTerm, type QValue } from './q-parser.js';
import { compileSafeRegex } from './regex-guard.js';
import { ANY_SEGMENT, type ScopeQuery, type ScopeTerm } from './scope-q.js';
import type { TypeSelection } from './type-selection.js';

/** Expands a term (attribute name, sub-attribute name, type, vocab value) with the @context. */
export type TermExpander = (term: string) => string;

/** Whether entity `e` satisfies q. */
export function evalQ(ast: QNode, e: Entity, expand: TermExpander): boolean {
  return logical(ast, (term) => evalTerm(term, e, expand));
}

/** Whether entity `e` has the types a type selection asks for. */
export function evalTypeSelection(ast: TypeSelection, e: Entity, expand: TermExpander): boolean {
  return logical(ast, (t) => e.types.includes(expand(t.name)));
}

/** Whether the scopes of entity `e` satisfy a scopeQ. */
export function evalScopeQ(ast: ScopeQuery, e: Entity): boolean {
  const scopes = e.scope ?? [];
  return logical(ast, (term) => scopes.some((s) => scopeMatches(term, s)));
}

function logical<L>(node: Logical<L>, leaf: (l: L) => boolean): boolean {
  if (!isLogicalNode(node)) return leaf(node);
  return node.kind === 'and' ? node.items.every((i) => logical(i, leaf)) : node.items.some((i) => logical(i, leaf));
}

// ---------------------------------------------------------------------------------------------
// scopeQ
// ---------------------------------------------------------------------------------------------

function scopeMatches(scope: ScopeTerm, s: string): boolean {
  if (scope.segments.length === 0) return true;
  if (scope.segments.includes(ANY_SEGMENT)) {
    const body = scope.segments.map((x) => (x === ANY_SEGMENT ? '/[^/]+' : '/' + x.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))).join('');
    return regex(`^${body}${scope.descendants ? '(?:/.*)?' : ''}$`).test(s);
  }
  const path = '/' + scope.segments.join('/');
  return s === path || (scope.descendants && s.startsWith(path + '/'));
}

const REGEX_CACHE = new Map<string, RegExp>();

/** A pattern compiled as the SQL REGEXP function compiles it (cached, bounded). */
function regex(pattern: string): RegExp {
  let re = REGEX_CACHE.get(pattern);
  if (!re) {
    re = compileSafeRegex(pattern, 'regular expression');
    if (REGEX_CACHE.size >= 256) REGEX_CACHE.delete(REGEX_CACHE.keys().next().value as string);
    REGEX_CACHE.set(pattern, re);
  }
  return re;
}

// ---------------------------------------------------------------------------------------------
// q terms
// ---------------------------------------------------------------------------------------------

/** The value a term looks at in one instance (undefined: the instance does not have it). */
interface Target {
  value: unknown;
  languageMap: boolean;
  vocab: boolean;
  indexed: boolean;
}

const has = (o: unknown, k: string): boolean => typeof o === 'object' && o !== null && !Array.isArray(o) && Object.hasOwn(o, k);
/** One step of a JSON path: an object member, as SQLite's `->` follows it. */
const step = (o: unknown, k: string): unknown => (has(o, k) ? (o as Record<string, unknown>)[k] : undefined);
const walk = (o: unknown, keys: string[]): unknown => keys.reduce<unknown>((v, k) => (v === undefined ? undefined : step(v, k)), o);

/** The JSON form of a stored instance: what SQLite's data column holds (undefined members dropped). */
const asStored = (inst: AttrInstance): unknown => JSON.parse(JSON.stringify(inst));

function targetOf(attr: AttrPath, inst: AttrInstance, expand: TermExpander): Target {
  if (attr.subAttrs.length === 0 && attr.member === undefined) {
    const pv = primaryValue(inst);
    const json = pv === undefined ? undefined : JSON.parse(JSON.stringify(pv));
    if (attr.jsonPath.length === 0) {
      return { value: json, languageMap: inst.type === 'LanguageProperty', vocab: inst.type === 'VocabProperty', indexed: true };
    }
    return { value: walk(json, attr.jsonPath), languageMap: false, vocab: false, indexed: false };
  }
  const sub = walk(asStored(inst), attr.subAttrs.map(expand));
  if (attr.member !== undefined) return { value: step(sub, attr.member), languageMap: false, vocab: false, indexed: false };
  const subType = step(sub, 'type');
  const member = mainMember(subType as AttributeKind);
  const trail = attr.jsonPath.length === 0;
  return {
    value: walk(step(sub, member), attr.jsonPath),
    languageMap: trail && subType === 'LanguageProperty',
    vocab: trail && subType === 'VocabProperty',
    indexed: false,
  };
}



function evalTerm(term: QTerm, e: Entity, expand: TermExpander): boolean {
  const instances = e.attrs[expand(term.attr.name)] ?? [];
  const targets = instances.map((inst) => ({ inst, target: targetOf(term.attr, inst, expand) }));
  const present = targets.filter((t) => t.target.value !== undefined);
  if (term.kind === 'exists') return present.length > 0;
  if (term.kind === 'notExists') return present.length === 0;
  const tests = elementaryTests(term);
  const negated = term.kind === 'match' ? term.negated : term.op === '!=';
  const positive = (inst: AttrInstance, target: Target): boolean => {
    const elements = () => elementsOf(target).some((el) => tests.some((t) => elementTest(t, el, target.vocab, expand)));
    if (!target.indexed) return elements();
    const cols = comparableOf(primaryValue(inst));
    if (tests.some((t) => indexedTest(t, cols, inst.type, expand))) return true;
    return cols.vnum === null && cols.vstr === null && elements();
  };
  if (negated) return present.some(({ inst, target }) => !positive(inst, target));
  return targets.some(({ inst, target }) => target.value !== undefined && positive(inst, target));
}

/** The elements of a target: every string of a language map, the items of an array, or itself. */
function elementsOf(t: Target): unknown[] {
  if (t.value === undefined) return [];
  if (t.languageMap) {
    const out: string[] = [];
    const collect = (v: unknown): void => {
      if (typeof v === 'string') out.push(v);
      else if (Array.isArray(v)) v.forEach(collect);
      else if (typeof v === 'object' && v !== null) Object.values(v).forEach(collect);
    };
    collect(t.value);
    return out;
  }
  return Array.isArray(t.value) ? t.value : [t.value];
}

/** SQLite's BINARY collation: UTF-8 byte order, which is code point order. */
function cmpText(a: string, b: string): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) return (a.codePointAt(i) as number) - (b.codePointAt(i) as number);
  }
  return a.length - b.length;
}

function cmp<T extends string | number>(x: T | null | undefined, op: ElementaryTest['op'], from: T, to?: T): boolean {
  if (x === null || x === undefined) return false;
  const c = (a: T, b: T) => (typeof a === 'string' ? cmpText(a, b as string) : (a as number) - (b as number));
  switch (op) {
    case '=':
      return c(x, from) === 0;
    case '<':
      return c(x, from) < 0;
    case '<=':
      return c(x, from) <= 0;
    case '>':
      return c(x, from) > 0;
    case '>=':
      return c(x, from) >= 0;
    case 'between':
      return c(x, from) >= 0 && c(x, to as T) <= 0;
    case 'regexp':
      return typeof x === 'string' && regex(from as string).test(x);
  }
}

const isDateText = (s: string | null) => s !== null && /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(s);
const isTimeText = (s: string | null) => s !== null && /^[0-2][0-9]:[0-5][0-9]/.test(s);
const msOf = (v: QValue | undefined): number | undefined => (v !== undefined && 'ms' in v ? v.ms : undefined);

function vocabForms(test: ElementaryTest, expand: TermExpander): string[] {
  if (test.op !== '=' || (test.value.type !== 'string' && test.value.type !== 'uri')) return [];
  const expanded = expand(test.value.value);
  return expanded === test.value.value ? [] : [expanded];
}

function indexedTest(test: ElementaryTest, cols: Comparable, kind: string, expand: TermExpander): boolean {
  if (test.op === 'regexp') return cmp(cols.vstr, 'regexp', test.pattern);
  const to = test.op === 'between' ? test.to : undefined;
  const v = test.value;
  switch (v.type) {
    case 'number':
      return cmp(cols.vnum, test.op, v.value, to?.value as number | undefined);
    case 'dateTime':
      return cmp(cols.vtime, test.op, v.ms, msOf(to));
    case 'date':
      return cmp(cols.vtime, test.op, v.ms, msOf(to)) || (isDateText(cols.vstr) && cmp(cols.vstr, test.op, v.value, to?.value as string | undefined));
    case 'time':
      return isTimeText(cols.vstr) && cmp(cols.vstr, test.op, v.value, to?.value as string | undefined);
    case 'string':
    case 'uri': {
      const vocab = vocabForms(test, expand);
      if (vocab.length === 0) return cmp(cols.vstr, test.op, v.value, to?.value as string | undefined);
      return cols.vstr !== null && [v.value, ...vocab].includes(cols.vstr) && (cols.vstr === v.value || kind === 'VocabProperty');
    }
    case 'boolean':
      return false;
  }
}

/** The string form of an element: a string, or the `@value` of a DateTime/Date/Time literal. */
function elementString(el: unknown): string | null {
  if (typeof el === 'string') return el;
  if (typeof el === 'object' && el !== null && !Array.isArray(el)) {
    const o = el as Record<string, unknown>;
    if ((o['@type'] === 'DateTime' || o['@type'] === 'Date' || o['@type'] === 'Time') && typeof o['@value'] === 'string') return o['@value'];
  }
  return null;
}

function elementTest(test: ElementaryTest, el: unknown, vocabTarget: boolean, expand: TermExpander): boolean {
  const text = elementString(el);
  if (test.op === 'regexp') return cmp(text, 'regexp', test.pattern);
  const to = test.op === 'between' ? test.to : undefined;
  const v = test.value;
  const time = () => (text === null ? null : dateTimeMillis(text));
  switch (v.type) {
    case 'number':
      return typeof el === 'number' && cmp(el, test.op, v.value, to?.value as number | undefined);
    case 'dateTime':
      return cmp(time(), test.op, v.ms, msOf(to));
    case 'date':
      return cmp(time(), test.op, v.ms, msOf(to)) || (isDateText(text) && cmp(text, test.op, v.value, to?.value as string | undefined));
    case 'time':
      return isTimeText(text) && cmp(text, test.op, v.value, to?.value as string | undefined);
    case 'string':
    case 'uri': {
      if (cmp(text, test.op, v.value, to?.value as string | undefined)) return true;
      return vocabTarget && text !== null && vocabForms(test, expand).includes(text);
    }
    case 'boolean':
      return el === v.value;
  }
}
