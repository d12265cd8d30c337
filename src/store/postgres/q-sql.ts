/**
 * Compiles the parsed query languages (q, entity type selection, scopeQ, entity selectors) and
 * the access ReadFilter into PostgreSQL boolean expressions over the broker's schema
 * (broker-schema.ts), with exactly the semantics of the SQLite compiler (src/store/sqlite/q-sql.ts,
 * whose module comment states the rules) and of the in-memory evaluator (q-eval.ts). Each
 * expression refers to the entity row as `e`. Every value, name and JSON path is a bound
 * parameter; only fixed SQL text is written into the statement.
 *
 * How the PostgreSQL forms map the SQLite ones:
 * - Text is compared with the "C" collation (code point order, SQLite's BINARY): the columns are
 *   declared so, and strings taken out of JSON are cast to it.
 * - Scalars compare on the indexed columns vnum / vstr / vtime. Long strings do not fit a B-tree
 *   entry, so vstr is indexed by its first VSTR_PREFIX characters: a comparison is written as the
 *   comparison of the prefixes (which the index serves, and which any match satisfies) AND the
 *   exact one. A positive term is `e.pk IN (<branch> UNION ALL <branch>...)`, a branch per index:
 *   one per scalar test, and one for the composite instances (arrays, objects, booleans: the
 *   partial index `WHERE composite`). Positive terms AND-ed on one attribute (`a>=1;a<2`) are
 *   compiled together, so that one index range serves them (compileSameAttribute).
 * - Arrays, objects, booleans, trailing paths and sub-attributes are examined with jsonb functions;
 *   paths use strict jsonpath, which (like SQLite's `->`) steps only into objects.
 * - Regular expressions are translated to PostgreSQL's dialect by q-regex.ts.
 */
import {
  elementaryTests,
  isLogicalNode,
  type AttrPath,
  type ElementaryTest,
  type Logical,
  type QNode,
  type QTerm,
} from '../../broker/query/q-parser.js';
import { ANY_SEGMENT, type ScopeQuery, type ScopeTerm } from '../../broker/query/scope-q.js';
import type { TypeSelection, TypeTerm } from '../../broker/query/type-selection.js';
import type { EntitySelector, ReadFilter } from '../../broker/store.js';
import { literalPrefix, msOf, vocabForms, type TermExpander } from '../q-common.js';
import { MAX_REGEX_INPUT_LENGTH, toPostgresRegex } from './q-regex.js';

/** Characters of vstr in its index (attributes_str), so that index entries stay small. */
export const VSTR_PREFIX = 128;

export type { TermExpander };

// ---------------------------------------------------------------------------------------------
// SQL assembly: fixed text and bound parameters kept together, in order
// ---------------------------------------------------------------------------------------------

/** Placeholder of a bound parameter in fragment text, numbered ($1, $2...) by {@link numbered}. */
const PLACEHOLDER = '$?';

/** SQL text with its parameters, in textual order. */
export interface Frag {
  text: string;
  params: unknown[];
}

/** Fixed SQL text (never user input). */
export const raw = (text: string): Frag => ({ text, params: [] });
/** A bound parameter. */
export const param = (value: unknown): Frag => ({ text: PLACEHOLDER, params: [value] });

/** Concatenates fixed text and fragments, keeping parameters in textual order. */
export function sql(strings: TemplateStringsArray, ...parts: Frag[]): Frag {
  let text = strings[0];
  const params: unknown[] = [];
  parts.forEach((part, i) => {
    text += part.text + strings[i + 1];
    params.push(...part.params);
  });
  return { text, params };
}

export function join(parts: Frag[], separator: string): Frag {
  return { text: parts.map((p) => p.text).join(separator), params: parts.flatMap((p) => p.params) };
}

/** The statement text with $1, $2... and its parameter values. */
export function numbered(f: Frag): { text: string; values: unknown[] } {
  let n = 0;
  const text = f.text.split(PLACEHOLDER).reduce((acc, piece, i) => (i === 0 ? piece : `${acc}$${++n}${piece}`), '');
  return { text, values: f.params };
}

function combine(kind: 'and' | 'or', parts: Frag[]): Frag {
  return sql`(${join(parts, kind === 'and' ? ' AND ' : ' OR ')})`;
}

/** `= $` for one value, `IN ($, $...)` for several. */
function inList(values: unknown[]): Frag {
  return values.length === 1 ? sql`= ${param(values[0])}` : sql`IN (${join(values.map(param), ', ')})`;
}

function logical<L>(node: Logical<L>, leaf: (l: L) => Frag): Frag {
  return isLogicalNode(node) ? combine(node.kind, node.items.map((i) => logical(i, leaf))) : leaf(node);
}

// ---------------------------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------------------------

/** Compiles a q into a condition on entity row `e`. */
export function compileQ(ast: QNode, expandAttr: TermExpander): Frag {
  const compile = (node: QNode): Frag => {
    if (!isLogicalNode(node)) return compileTerm(node, expandAttr);
    if (node.kind === 'or') return combine('or', node.items.map(compile));
    // AND: positive comparisons of one attribute are compiled together (compileSameAttribute).
    const sameAttribute = new Map<string, PositiveTerm[]>();
    const parts: Frag[] = [];
    for (const item of node.items) {
      if (isLogicalNode(item) || !onPrimaryValue(item)) parts.push(compile(item));
      else {
        const name = expandAttr(item.attr.name);
        const group = sameAttribute.get(name);
        if (group) group.push(item);
        else sameAttribute.set(name, [item]);
      }
    }
    for (const [name, terms] of sameAttribute) parts.push(terms.length === 1 ? compileTerm(terms[0], expandAttr) : compileSameAttribute(name, terms, expandAttr));
    return parts.length === 1 ? parts[0] : combine('and', parts);
  };
  return compile(ast);
}

/** Compiles a type selection into a condition on entity row `e` (its tenant and pk). */
export function compileTypeSelection(ast: TypeSelection, expandType: TermExpander): Frag {
  const hasTypes = (names: string[]) =>
    sql`EXISTS (SELECT 1 FROM entity_types t WHERE t.tenant = e.tenant AND t.type ${inList(names.map(expandType))} AND t.entity_pk = e.pk)`;
  const compile = (node: TypeSelection): Frag => {
    if (!isLogicalNode(node)) return hasTypes([node.name]);
    if (node.kind === 'or' && node.items.every((i) => !isLogicalNode(i))) {
      return hasTypes(node.items.map((i) => (i as TypeTerm).name));
    }
    return combine(node.kind, node.items.map(compile));
  };
  return compile(ast);
}

/** Compiles a scopeQ into a condition on the scopes of entity row `e` (a jsonb array, or NULL). */
export function compileScopeQ(ast: ScopeQuery): Frag {
  return logical(ast, (scope) => {
    const cond = scopeCondition(scope);
    return cond === null
      ? raw(`coalesce(jsonb_array_length(e.scopes), 0) > 0`)
      : sql`EXISTS (SELECT 1 FROM jsonb_array_elements_text(e.scopes) s(value) WHERE ${cond})`;
  });
}

/** One entity selector (ids, idPattern and type selection AND-ed) as a condition on `e`. */
export function compileSelector(sel: EntitySelector, expand: TermExpander): Frag {
  const parts: Frag[] = [];
  if (sel.ids && sel.ids.length > 0) parts.push(sql`e.id = ANY(${param(sel.ids)}::text[])`);
  if (sel.idPattern !== undefined) {
    const prefix = literalPrefix(sel.idPattern);
    // Lets the (tenant, id) index narrow the scan before the regular expression runs.
    if (prefix) parts.push(sql`e.id >= ${param(prefix)} AND e.id < ${param(prefix + String.fromCodePoint(0x10ffff))}`);
    parts.push(regexMatch(raw('e.id'), sel.idPattern));
  }
  if (sel.typeSelection) parts.push(compileTypeSelection(sel.typeSelection, expand));
  return parts.length > 0 ? join(parts, ' AND ') : raw('true');
}

/** A read filter (access control) as a condition on entity row `e`. */
export function compileReadFilter(f: ReadFilter): Frag {
  let types = raw('true');
  if (f.onlyTypes) {
    types = f.onlyTypes.length === 0
      ? raw('NOT EXISTS (SELECT 1 FROM entity_types ft WHERE ft.entity_pk = e.pk)')
      : sql`NOT EXISTS (SELECT 1 FROM entity_types ft WHERE ft.entity_pk = e.pk AND ft.type <> ALL(${param(f.onlyTypes)}::text[]))`;
  } else if (f.hiddenTypes && f.hiddenTypes.length > 0) {
    types = sql`NOT EXISTS (SELECT 1 FROM entity_types ft WHERE ft.entity_pk = e.pk AND ft.type = ANY(${param(f.hiddenTypes)}::text[]))`;
  }
  if (!f.owner || f.owner.attrs.length === 0) return types;
  // The owner's id as the value (a string), an item of it (an array) or a member value (an object).
  const id = param(JSON.stringify(f.owner.id));
  const owner = sql`EXISTS (SELECT 1 FROM attributes fo WHERE fo.entity_pk = e.pk AND fo.name = ANY(${param(f.owner.attrs)}::text[])
    AND EXISTS (SELECT 1 FROM jsonb_array_elements(CASE jsonb_typeof(fo.value) WHEN 'array' THEN fo.value
      WHEN 'object' THEN (SELECT coalesce(jsonb_agg(m.value), '[]') FROM jsonb_each(fo.value) m) ELSE jsonb_build_array(fo.value) END) fj(v)
      WHERE fj.v = ${id}::jsonb))`;
  return sql`(${types} OR ${owner})`;
}

// ---------------------------------------------------------------------------------------------
// q terms
// ---------------------------------------------------------------------------------------------

/** Where a term's value lives in an instance row `a` of `attributes`. */
interface Target {
  /** jsonb of the target value, NULL when the instance does not have it. */
  json: Frag;
  /** Boolean: the target is a language map. */
  languageMap: Frag;
  /** Boolean: the target is the value of a VocabProperty. */
  vocab: Frag;
  /** The target is the instance's primary value, so vnum / vstr / vtime describe it. */
  indexed: boolean;
}

/** `WHEN` arms naming the member that holds the primary value, per attribute type (cf. model.ts primaryValue). */
const PRIMARY_MEMBER_ARMS =
  "WHEN 'Relationship' THEN 'object' WHEN 'LanguageProperty' THEN 'languageMap' WHEN 'VocabProperty' THEN 'vocab' " +
  "WHEN 'JsonProperty' THEN 'json' WHEN 'ListProperty' THEN 'valueList' WHEN 'ListRelationship' THEN 'objectList' ELSE 'value'";

/** A strict jsonpath through object members `keys` (strict: a step into a non-object finds nothing). */
function jsonPath(keys: string[]): Frag {
  return sql`${param('strict $' + keys.map((k) => '.' + JSON.stringify(k)).join(''))}::jsonpath`;
}

/** The item at `keys` inside jsonb `of`, NULL when absent. */
function at(of: Frag, keys: string[]): Frag {
  return keys.length === 0 ? of : sql`jsonb_path_query_first(${of}, ${jsonPath(keys)}, '{}', true)`;
}

function targetOf(attr: AttrPath, expandAttr: TermExpander): Target {
  const no = raw('false');
  if (attr.subAttrs.length === 0 && attr.member === undefined) {
    return attr.jsonPath.length === 0
      ? { json: raw('a.value'), languageMap: raw(`a.kind = 'LanguageProperty'`), vocab: raw(`a.kind = 'VocabProperty'`), indexed: true }
      : { json: at(raw('a.value'), attr.jsonPath), languageMap: no, vocab: no, indexed: false };
  }
  const subKeys = attr.subAttrs.map(expandAttr);
  if (attr.member !== undefined) {
    return { json: at(raw('a.data::jsonb'), [...subKeys, attr.member]), languageMap: no, vocab: no, indexed: false };
  }
  const sub = at(raw('a.data::jsonb'), subKeys);
  const trail = attr.jsonPath.length === 0;
  return {
    json: sql`(SELECT ${at(raw(`x.sub -> (CASE x.sub ->> 'type' ${PRIMARY_MEMBER_ARMS} END)`), attr.jsonPath)} FROM (SELECT ${sub} AS sub) x)`,
    languageMap: trail ? sql`(${sub} ->> 'type') = 'LanguageProperty'` : no,
    vocab: trail ? sql`(${sub} ->> 'type') = 'VocabProperty'` : no,
    indexed: false,
  };
}

function compileTerm(term: QTerm, expandAttr: TermExpander): Frag {
  const name = expandAttr(term.attr.name);
  const target = targetOf(term.attr, expandAttr);
  const present = target.indexed ? raw('a.value IS NOT NULL') : sql`${target.json} IS NOT NULL`;
  if (term.kind === 'exists') return sql`e.pk IN (${instances(name, present)})`;
  if (term.kind === 'notExists') {
    return sql`NOT EXISTS (SELECT 1 FROM attributes a WHERE a.entity_pk = e.pk AND a.name = ${param(name)} AND ${present})`;
  }
  const { fast, composite } = positiveTests(term, target, expandAttr);
  if (term.kind === 'match' ? term.negated : term.op === '!=') {
    const positive = join([...fast, sql`(${composite})`], ' OR ');
    return sql`e.pk IN (${instances(name, sql`${present} AND NOT coalesce((${positive}), false)`)})`;
  }
  return sql`e.pk IN (${positiveSet(term, expandAttr)})`;
}

/**
 * What an instance must satisfy for a compare or match term to hold (ignoring its negation): one
 * of the `fast` tests on the indexed columns, or (`composite`) a test on the elements of the value.
 */
function positiveTests(term: PositiveTerm, target: Target, expandAttr: TermExpander): { fast: Frag[]; composite: Frag } {
  const tests = elementaryTests(term);
  const elements = elementsSatisfy(target, join(tests.map((t) => elementTest(t, expandAttr)), ' OR '));
  const fast = target.indexed ? tests.map((t) => indexedTest(t, expandAttr)).filter((f): f is Frag => f !== null) : [];
  // Instances whose indexed columns are all NULL (composite) hold arrays, objects, booleans or null.
  return { fast, composite: target.indexed ? sql`a.composite AND ${elements}` : elements };
}

/** The entities satisfying a positive compare or match term: one branch per index (each scalar test, the composite instances). */
function positiveSet(term: PositiveTerm, expandAttr: TermExpander): Frag {
  const name = expandAttr(term.attr.name);
  const { fast, composite } = positiveTests(term, targetOf(term.attr, expandAttr), expandAttr);
  return join([...fast, composite].map((cond) => instances(name, cond)), ' UNION ALL ');
}

/** The entities (entity_pk) having an instance of attribute `name` that satisfies `cond` (on row `a`). */
function instances(name: string, cond: Frag): Frag {
  return sql`SELECT a.entity_pk FROM attributes a WHERE a.name = ${param(name)} AND ${cond}`;
}

type PositiveTerm = Extract<QTerm, { kind: 'compare' | 'match' }>;

/** A positive comparison or match on the primary value of an attribute (no sub-attribute, member or path). */
function onPrimaryValue(term: QTerm): term is PositiveTerm {
  const positive = (term.kind === 'compare' && term.op !== '!=') || (term.kind === 'match' && !term.negated);
  return positive && term.attr.subAttrs.length === 0 && term.attr.member === undefined && term.attr.jsonPath.length === 0;
}

/**
 * Several positive terms on the primary value of one attribute, AND-ed (`a>=1;a<2`): each needs
 * some instance satisfying it. An entity with a single instance satisfies them all with that
 * instance, which one index range finds (and one pass over composite instances); an entity with
 * several instances has one with a datasetId, and is then tested term by term. So the union of
 * the three is exactly the entities satisfying every term, and the first is what the index serves.
 */
function compileSameAttribute(name: string, terms: PositiveTerm[], expandAttr: TermExpander): Frag {
  const target = targetOf(terms[0].attr, expandAttr);
  const tests = terms.map((t) => positiveTests(t, target, expandAttr));
  const branches: Frag[] = [];
  if (tests.every((t) => t.fast.length > 0)) branches.push(instances(name, join(tests.map((t) => sql`(${join(t.fast, ' OR ')})`), ' AND ')));
  branches.push(instances(name, join(tests.map((t) => sql`(${t.composite})`), ' AND ')));
  // Each term on its own, for the (few) entities with several instances: looked up by entity.
  const each = tests.map((t) => sql`EXISTS (SELECT 1 FROM attributes a WHERE a.entity_pk = m.entity_pk AND a.name = ${param(name)} AND (${join([...t.fast, sql`(${t.composite})`], ' OR ')}))`);
  branches.push(sql`SELECT m.entity_pk FROM attributes m WHERE m.name = ${param(name)} AND m.dataset_id <> '' AND ${join(each, ' AND ')}`);
  return sql`e.pk IN (${join(branches, ' UNION ALL ')})`;
}

/** `x <op> $` (or `x BETWEEN $ AND $`) for the SQL forms `from` (and `to`) of the test's bounds. */
function compare(x: Frag, op: ElementaryTest['op'], from: unknown, to?: unknown): Frag {
  if (op === 'between') return sql`${x} BETWEEN ${param(from)} AND ${param(to)}`;
  if (op === 'regexp') return regexMatch(x, from as string);
  return sql`${x} ${raw(op)} ${param(from)}`;
}

/** `x` matches the (Urbis) regular expression `pattern`. */
function regexMatch(x: Frag, pattern: string): Frag {
  return sql`(length(${x}) <= ${raw(String(MAX_REGEX_INPUT_LENGTH))} AND ${x} ~ ${param(toPostgresRegex(pattern))})`;
}

/** The first VSTR_PREFIX characters (code points) of a string, as PostgreSQL's left() counts them. */
function prefixOf(s: string): string {
  const chars = Array.from(s);
  return chars.length <= VSTR_PREFIX ? s : chars.slice(0, VSTR_PREFIX).join('');
}

const VSTR_INDEXED = raw(`left(a.vstr, ${VSTR_PREFIX})`);

/** A comparison on a.vstr, with the comparison of prefixes that the attributes_str index serves. */
function compareVstr(op: ElementaryTest['op'], from: string, to?: string): Frag {
  const exact = compare(raw('a.vstr'), op, from, to);
  if (op === 'regexp') return exact;
  const p = prefixOf(from);
  let prefix: Frag;
  switch (op) {
    case 'between':
      prefix = sql`${VSTR_INDEXED} BETWEEN ${param(p)} AND ${param(prefixOf(to as string))}`;
      break;
    case '<':
      prefix = sql`${VSTR_INDEXED} <= ${param(p)}`;
      break;
    case '>':
      prefix = sql`${VSTR_INDEXED} >= ${param(p)}`;
      break;
    default:
      prefix = sql`${VSTR_INDEXED} ${raw(op)} ${param(p)}`;
  }
  return sql`(${prefix} AND ${exact})`;
}


/** What a date (resp. time) string must match to be compared as one (SQLite: GLOB). */
const DATE_TEXT = "'^[0-9]{4}-[0-9]{2}-[0-9]{2}$'";
const TIME_TEXT = "'^[0-2][0-9]:[0-5][0-9]'";


/** A test on the indexed columns of instance row `a`, or null when they cannot decide it. */
function indexedTest(test: ElementaryTest, expandAttr: TermExpander): Frag | null {
  if (test.op === 'regexp') return compare(raw('a.vstr'), 'regexp', test.pattern);
  const to = test.op === 'between' ? test.to : undefined;
  const v = test.value;
  switch (v.type) {
    case 'number':
      return compare(raw('a.vnum'), test.op, v.value, to?.value);
    case 'dateTime':
      return compare(raw('a.vtime'), test.op, v.ms, msOf(to));
    case 'date':
      return sql`(${compare(raw('a.vtime'), test.op, v.ms, msOf(to))} OR (a.vstr ~ ${raw(DATE_TEXT)} AND ${compareVstr(test.op, v.value, to?.value as string | undefined)}))`;
    case 'time':
      return sql`(a.vstr ~ ${raw(TIME_TEXT)} AND ${compareVstr(test.op, v.value, to?.value as string | undefined)})`;
    case 'string':
    case 'uri': {
      const direct = compareVstr(test.op, v.value, to?.value as string | undefined);
      const vocab = vocabForms(test, expandAttr);
      if (vocab.length === 0) return direct;
      // Written as one IN on vstr so that the (name, vstr) index serves it.
      const values = [v.value, ...vocab];
      return sql`(${VSTR_INDEXED} ${inList(values.map(prefixOf))} AND a.vstr ${inList(values)} AND (a.vstr = ${param(v.value)} OR a.kind = 'VocabProperty'))`;
    }
    case 'boolean':
      return null;
  }
}

/**
 * The string form of element `j.v`: a JSON string, or the `@value` string of a DateTime/Date/Time
 * typed literal; NULL otherwise.
 */
const ELEMENT_STRING = raw(
  "(CASE jsonb_typeof(j.v) WHEN 'string' THEN j.v #>> '{}' WHEN 'object' THEN (CASE WHEN j.v ->> '@type' IN ('DateTime', 'Date', 'Time') AND jsonb_typeof(j.v -> '@value') = 'string' THEN j.v ->> '@value' END) END) COLLATE \"C\"",
);
const ELEMENT_TIME = raw(`ngsild_datetime_ms(${ELEMENT_STRING.text})`);
const ELEMENT_NUMBER = raw("(CASE WHEN jsonb_typeof(j.v) = 'number' THEN (j.v)::float8 END)");

/** A test on element `j.v` of a target (see elementsSatisfy); `s.vocab` tells a vocab target. */
function elementTest(test: ElementaryTest, expandAttr: TermExpander): Frag {
  if (test.op === 'regexp') return compare(ELEMENT_STRING, 'regexp', test.pattern);
  const to = test.op === 'between' ? test.to : undefined;
  const v = test.value;
  switch (v.type) {
    case 'number':
      return compare(ELEMENT_NUMBER, test.op, v.value, to?.value);
    case 'dateTime':
      return compare(ELEMENT_TIME, test.op, v.ms, msOf(to));
    case 'date':
      return sql`(${compare(ELEMENT_TIME, test.op, v.ms, msOf(to))} OR (${ELEMENT_STRING} ~ ${raw(DATE_TEXT)} AND ${compare(ELEMENT_STRING, test.op, v.value, to?.value)}))`;
    case 'time':
      return sql`(${ELEMENT_STRING} ~ ${raw(TIME_TEXT)} AND ${compare(ELEMENT_STRING, test.op, v.value, to?.value)})`;
    case 'string':
    case 'uri': {
      const direct = compare(ELEMENT_STRING, test.op, v.value, to?.value);
      const vocab = vocabForms(test, expandAttr);
      return vocab.length === 0 ? direct : sql`(${direct} OR (s.vocab AND ${ELEMENT_STRING} ${inList(vocab)}))`;
    }
    case 'boolean':
      return raw(v.value ? `j.v = 'true'::jsonb` : `j.v = 'false'::jsonb`);
  }
}

/** Boolean: some element `j.v` of the target (its strings for a language map, its items for an array, else itself) satisfies `test`. */
function elementsSatisfy(target: Target, test: Frag): Frag {
  return sql`EXISTS (SELECT 1 FROM (SELECT ${target.json} AS t, ${target.languageMap} AS lang, ${target.vocab} AS vocab) s,
    jsonb_array_elements(CASE WHEN s.lang THEN jsonb_path_query_array(s.t, 'strict $.** ? (@.type() == "string")')
      WHEN jsonb_typeof(s.t) = 'array' THEN s.t ELSE jsonb_build_array(s.t) END) j(v) WHERE ${test})`;
}

// ---------------------------------------------------------------------------------------------
// scopeQ
// ---------------------------------------------------------------------------------------------

/** Condition on scope string `s.value` for one scope pattern; null when any scope matches. */
function scopeCondition(scope: ScopeTerm): Frag | null {
  if (scope.segments.length === 0) return null;
  if (scope.segments.includes(ANY_SEGMENT)) {
    const body = scope.segments.map((s) => (s === ANY_SEGMENT ? '/[^/]+' : '/' + escapeRegex(s))).join('');
    return regexMatch(raw('s.value'), `^${body}${scope.descendants ? '(?:/.*)?' : ''}$`);
  }
  const path = '/' + scope.segments.join('/');
  if (!scope.descendants) return sql`s.value = ${param(path)}`;
  return sql`(s.value = ${param(path)} OR starts_with(s.value, ${param(path + '/')}))`;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
