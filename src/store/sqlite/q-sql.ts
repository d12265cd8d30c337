/**
 * Compiles the parsed query languages (q, entity type selection, scopeQ) into SQL boolean
 * expressions over the store schema (schema.ts). Each expression refers to the entity row as `e`
 * and is meant for `SELECT ... FROM entities e WHERE e.tenant = ? AND (<sql>)`. Every value,
 * name and JSON path is a bound parameter; only fixed SQL text is written into the statement.
 * The statements need the functions of functions.ts (REGEXP, ngsild_datetime_ms).
 *
 * q semantics:
 * - A term looks at every instance (datasetId) of the attribute; the entity matches when one
 *   instance does. The target is the instance's primary value (model.ts primaryValue), or for
 *   `a.b.c` the primary value of sub-attribute c of sub-attribute b (names expanded), or for
 *   `a.observedAt` (unitCode, datasetId, createdAt, modifiedAt) that member, followed by the keys
 *   of a trailing path `[k1.k2]` (verbatim) into that JSON value.
 * - The elements of a target are its items when it is an array, all its strings when it is a
 *   LanguageProperty's language map, else the target itself. A comparison holds when one element
 *   satisfies it: numbers only with numbers, strings/URIs only with strings (a DateTime/Date/Time
 *   typed literal `{"@type", "@value"}` counts as its string), booleans with booleans, date-times
 *   by instant (elements that are date-time strings or DateTime literals), dates textually with
 *   date strings and as midnight UTC against date-times, times textually with time strings.
 *   VocabProperty values also match the expanded form of a string/URI (`==`, `!=` only).
 * - `!=` and `!~=` hold for an instance that has the target and where `==` / `~=` does not hold.
 * - `a` / `!a`: some instance has / no instance has the target.
 * - When the target is the attribute's own primary value, scalar values are compared on the
 *   indexed columns vnum / vstr / vtime (uncorrelated `e.pk IN (...)` subqueries, so the
 *   (name, vnum|vstr|vtime) indexes serve them); arrays, objects and booleans (those columns are
 *   NULL) are examined with json_each on `value`. That second subquery reads every instance of
 *   the attribute unless the schema has a partial index such as
 *   `attributes (name, entity_pk) WHERE vnum IS NULL AND vstr IS NULL`, which it is written to use.
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
import type { EntitySelector } from '../../broker/store.js';
import { DATETIME_MS_FUNCTION } from './functions.js';
import { literalPrefix, msOf, vocabForms, type TermExpander } from '../q-common.js';

/** A SQL boolean expression and its positional parameters, in order. */
export interface SqlFragment {
  sql: string;
  params: unknown[];
}

export type { TermExpander };

/**
 * Compiles a q into a condition on entity row `e`; see the module comment for the semantics.
 * `correlated`: each term looks up the instances of `e` itself (EXISTS over `a.entity_pk = e.pk`)
 * instead of selecting every entity whose instances match (`e.pk IN (...)`): the form for a query
 * whose candidate entities come from elsewhere (see compileQDriver), where materialising the set
 * of each term would cost more than probing each candidate.
 */
export function compileQ(ast: QNode, expandAttr: TermExpander, correlated = false): SqlFragment {
  return toFragment(logical(ast, (term) => compileTerm(term, expandAttr, correlated)));
}

/**
 * How a q can drive a query from the value index of one attribute (see compileQDriver). Take the
 * terms of a top-level conjunction that compare the primary value of one attribute (the first
 * such attribute: `a>=x;a<y;...`). An entity with an instance satisfying all of them at once
 * matches each of them (`exact`). An entity with a single scalar value of the attribute matches
 * them all only in that case; only an entity whose attribute may hold several values (another
 * instance with a datasetId, or an array / object / boolean value) can match them with different
 * values. So `exact` plus those entities (`candidates`) contains every entity the q matches, and
 * when the attribute holds no such values anywhere, `exact` is exactly the entities that match
 * these terms, and only `rest` remains to be tested.
 */
export interface QDriver {
  /** The expanded name of the attribute. */
  attribute: string;
  /** The value is confined to a range or to given values (likely selective). */
  bounded: boolean;
  /** A SELECT of `entity_pk`: the entities with an instance satisfying every one of the terms. */
  exact: SqlFragment;
  /** A SELECT of `entity_pk`: those, and the entities whose attribute may hold several values. */
  candidates: SqlFragment;
  /** The q without those terms; undefined when nothing remains. */
  rest: QNode | undefined;
  /** SQL giving `multi` 1 when some instance of the attribute (any tenant) may hold several values; its two parameters are the attribute. */
  multiValuedSql: string;
}

/** The q driver of a q (see QDriver); undefined when it has no term that can drive. */
export function compileQDriver(ast: QNode, expandAttr: TermExpander): QDriver | undefined {
  const items = isLogicalNode(ast) ? (ast.kind === 'and' ? ast.items : []) : [ast];
  const terms = items.filter(
    (t): t is Extract<QTerm, { kind: 'compare' | 'match' }> =>
      !isLogicalNode(t) &&
      (t.kind === 'compare' ? t.op !== '!=' : t.kind === 'match' && !t.negated) &&
      t.attr.subAttrs.length === 0 && t.attr.member === undefined && t.attr.jsonPath.length === 0,
  );
  if (terms.length === 0) return undefined;
  const name = terms[0].attr.name;
  const same = terms.filter((t) => t.attr.name === name);
  const tests = same.map((t) => {
    const fast = elementaryTests(t).map((e) => indexedTest(e, expandAttr)).filter((f): f is Frag => f !== null);
    return fast.length === 0 ? raw('0') : sql`(${join(fast, ' OR ')})`;
  });
  const ops = new Set(same.map((t) => (t.kind === 'compare' ? t.op : '~=')));
  const attribute = expandAttr(name);
  const n = param(attribute);
  const matching = sql`SELECT a.entity_pk FROM attributes a WHERE a.name = ${n} AND ${join(tests, ' AND ')}`;
  const others = items.filter((i) => !(same as QNode[]).includes(i));
  return {
    attribute,
    bounded: ops.has('==') || ((ops.has('>') || ops.has('>=')) && (ops.has('<') || ops.has('<='))),
    exact: toFragment(matching),
    candidates: toFragment(
      sql`${matching} UNION SELECT a.entity_pk FROM attributes a WHERE a.name = ${n} AND a.vnum IS NULL AND a.vstr IS NULL UNION SELECT a.entity_pk FROM attributes a WHERE a.name = ${n} AND a.dataset_id <> ''`,
    ),
    rest: others.length === 0 ? undefined : others.length === 1 ? others[0] : { kind: 'and', items: others },
    multiValuedSql: "SELECT EXISTS (SELECT 1 FROM attributes a WHERE a.name = ? AND a.vnum IS NULL AND a.vstr IS NULL) OR EXISTS (SELECT 1 FROM attributes a WHERE a.name = ? AND a.dataset_id <> '') AS multi",
  };
}

/** Compiles a type selection into a condition on entity row `e` (its tenant and pk). */
export function compileTypeSelection(ast: TypeSelection, expandType: TermExpander): SqlFragment {
  const hasTypes = (names: string[]) =>
    sql`EXISTS (SELECT 1 FROM entity_types t WHERE t.tenant = e.tenant AND t.type ${inList(names.map(expandType))} AND t.entity_pk = e.pk)`;
  const compile = (node: TypeSelection): Frag => {
    if (!isLogicalNode(node)) return hasTypes([node.name]);
    if (node.kind === 'or' && node.items.every((i) => !isLogicalNode(i))) {
      return hasTypes(node.items.map((i) => (i as TypeTerm).name));
    }
    return combine(node.kind, node.items.map(compile));
  };
  return toFragment(compile(ast));
}

/** The type names of a selection that is one type or an OR of types; undefined for any other. */
export function typeNames(ast: TypeSelection): string[] | undefined {
  if (!isLogicalNode(ast)) return [ast.name];
  return ast.kind === 'or' && ast.items.every((i) => !isLogicalNode(i)) ? ast.items.map((i) => (i as TypeTerm).name) : undefined;
}

/** Compiles a scopeQ into a condition on the scopes of entity row `e` (a JSON array, or NULL). */
export function compileScopeQ(ast: ScopeQuery): SqlFragment {
  return toFragment(
    logical(ast, (scope) => {
      const cond = scopeCondition(scope);
      return cond === null
        ? raw('EXISTS (SELECT 1 FROM json_each(e.scopes) s)')
        : sql`EXISTS (SELECT 1 FROM json_each(e.scopes) s WHERE ${cond})`;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// SQL assembly: fixed text and bound parameters kept together, in order
// ---------------------------------------------------------------------------------------------

interface Frag {
  text: string;
  params: unknown[];
}

/** Fixed SQL text (never user input). */
const raw = (text: string): Frag => ({ text, params: [] });
/** A bound parameter. */
const param = (value: unknown): Frag => ({ text: '?', params: [value] });

/** Concatenates fixed text and fragments, keeping parameters in textual order. */
function sql(strings: TemplateStringsArray, ...parts: Frag[]): Frag {
  let text = strings[0];
  const params: unknown[] = [];
  parts.forEach((part, i) => {
    text += part.text + strings[i + 1];
    params.push(...part.params);
  });
  return { text, params };
}

function join(parts: Frag[], separator: string): Frag {
  return { text: parts.map((p) => p.text).join(separator), params: parts.flatMap((p) => p.params) };
}

function combine(kind: 'and' | 'or', parts: Frag[]): Frag {
  return sql`(${join(parts, kind === 'and' ? ' AND ' : ' OR ')})`;
}

/** `= ?` for one value, `IN (?, ?...)` for several. */
function inList(values: unknown[]): Frag {
  return values.length === 1 ? sql`= ${param(values[0])}` : sql`IN (${join(values.map(param), ', ')})`;
}

function logical<L>(node: Logical<L>, leaf: (l: L) => Frag): Frag {
  return isLogicalNode(node) ? combine(node.kind, node.items.map((i) => logical(i, leaf))) : leaf(node);
}

const toFragment = (f: Frag): SqlFragment => ({ sql: f.text, params: f.params });

// ---------------------------------------------------------------------------------------------
// q terms
// ---------------------------------------------------------------------------------------------

/** Where a term's value lives in an instance row `a` of `attributes`. */
interface Target {
  /** JSON text of the target value, NULL when the instance does not have it. */
  json: Frag;
  /** Boolean: the target is a language map. */
  languageMap: Frag;
  /** Boolean: the target is the value of a VocabProperty. */
  vocab: Frag;
  /** The target is the instance's primary value, so vnum / vstr / vtime describe it. */
  indexed: boolean;
}

/** `WHEN` arms naming the member that holds the primary value, per attribute type (cf. model.ts primaryValue). */
const PRIMARY_MEMBER_ARMS = raw(
  "WHEN 'Relationship' THEN 'object' WHEN 'LanguageProperty' THEN 'languageMap' WHEN 'VocabProperty' THEN 'vocab' " +
    "WHEN 'JsonProperty' THEN 'json' WHEN 'ListProperty' THEN 'valueList' WHEN 'ListRelationship' THEN 'objectList' ELSE 'value'",
);

/** A JSON path step for one object key, quoted and escaped (`."a\"b"`). */
function pathStep(key: string): string {
  return `.${JSON.stringify(key)}`;
}

function targetOf(attr: AttrPath, expandAttr: TermExpander): Target {
  const trail = attr.jsonPath.map(pathStep).join('');
  const none = raw('0');
  if (attr.subAttrs.length === 0 && attr.member === undefined) {
    return trail === ''
      ? { json: raw('a.value'), languageMap: raw(`a.kind = 'LanguageProperty'`), vocab: raw(`a.kind = 'VocabProperty'`), indexed: true }
      : { json: sql`a.value -> ${param('$' + trail)}`, languageMap: none, vocab: none, indexed: false };
  }
  const sub = '$' + attr.subAttrs.map((s) => pathStep(expandAttr(s))).join('');
  if (attr.member !== undefined) {
    return { json: sql`a.data -> ${param(`${sub}.${attr.member}`)}`, languageMap: none, vocab: none, indexed: false };
  }
  const subType = sql`a.data ->> ${param(`${sub}.type`)}`;
  return {
    json: sql`a.data -> (${param(sub + '.')} || CASE ${subType} ${PRIMARY_MEMBER_ARMS} END || ${param(trail)})`,
    languageMap: trail === '' ? sql`${subType} = 'LanguageProperty'` : none,
    vocab: trail === '' ? sql`${subType} = 'VocabProperty'` : none,
    indexed: false,
  };
}

function compileTerm(term: QTerm, expandAttr: TermExpander, correlated: boolean): Frag {
  const name = param(expandAttr(term.attr.name));
  const target = targetOf(term.attr, expandAttr);
  // The entities with an instance meeting `cond`: `e.pk IN (...)`, or EXISTS over e's own instances.
  const some = (cond: Frag) =>
    correlated
      ? sql`EXISTS (SELECT 1 FROM attributes a WHERE a.entity_pk = e.pk AND a.name = ${name} AND ${cond})`
      : sql`e.pk IN (SELECT a.entity_pk FROM attributes a WHERE a.name = ${name} AND ${cond})`;
  const none = (cond: Frag) => sql`NOT ${some(cond)}`;
  const present = target.indexed ? raw('a.value IS NOT NULL') : sql`${target.json} IS NOT NULL`;
  if (term.kind === 'exists') return some(present);
  if (term.kind === 'notExists') return none(present);

  const tests = elementaryTests(term);
  const negated = term.kind === 'match' ? term.negated : term.op === '!=';
  const elements = elementsSatisfy(target, join(tests.map((t) => elementTest(t, expandAttr)), ' OR '));
  const fast = target.indexed ? tests.map((t) => indexedTest(t, expandAttr)).filter((f): f is Frag => f !== null) : [];
  // Instances whose indexed columns are all NULL hold arrays, objects, booleans or null.
  const composite = target.indexed ? sql`a.vnum IS NULL AND a.vstr IS NULL AND ${elements}` : elements;
  if (negated) {
    const positive = join([...fast, composite], ' OR ');
    return some(sql`${present} AND NOT IFNULL((${positive}), 0)`);
  }
  if (fast.length === 0) return some(composite);
  // Uncorrelated, the indexed tests and the composite ones are separate sets, each served by its index.
  if (correlated) return some(sql`((${join(fast, ' OR ')}) OR (${composite}))`);
  return combine('or', [some(sql`(${join(fast, ' OR ')})`), some(composite)]);
}

/** `x <op> ?` (or `x BETWEEN ? AND ?`) for the SQL forms `from` (and `to`) of the test's bounds. */
function compare(x: Frag, op: ElementaryTest['op'], from: unknown, to?: unknown): Frag {
  if (op === 'between') return sql`${x} BETWEEN ${param(from)} AND ${param(to)}`;
  return sql`${x} ${raw(op === 'regexp' ? 'REGEXP' : op)} ${param(from)}`;
}


/** SQL text a date (resp. time) string must match to be compared as one. */
const DATE_GLOB = "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'";
const TIME_GLOB = "'[0-2][0-9]:[0-5][0-9]*'";


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
      return sql`(${compare(raw('a.vtime'), test.op, v.ms, msOf(to))} OR (a.vstr GLOB ${raw(DATE_GLOB)} AND ${compare(raw('a.vstr'), test.op, v.value, to?.value)}))`;
    case 'time':
      return sql`(a.vstr GLOB ${raw(TIME_GLOB)} AND ${compare(raw('a.vstr'), test.op, v.value, to?.value)})`;
    case 'string':
    case 'uri': {
      const direct = compare(raw('a.vstr'), test.op, v.value, to?.value);
      const vocab = vocabForms(test, expandAttr);
      if (vocab.length === 0) return direct;
      // Written as one IN on vstr so that the (name, vstr) index serves it.
      return sql`(a.vstr ${inList([v.value, ...vocab])} AND (a.vstr = ${param(v.value)} OR a.kind = 'VocabProperty'))`;
    }
    case 'boolean':
      return null;
  }
}

/**
 * The string form of element `j`: a JSON string, or the `@value` of a DateTime/Date/Time typed
 * literal; NULL otherwise.
 */
const ELEMENT_STRING = raw(
  "(CASE j.type WHEN 'text' THEN j.value WHEN 'object' THEN (CASE WHEN j.value ->> '$.\"@type\"' IN ('DateTime', 'Date', 'Time') THEN j.value ->> '$.\"@value\"' END) END)",
);
const ELEMENT_TIME = raw(`${DATETIME_MS_FUNCTION}(${ELEMENT_STRING.text})`);

/** A test on element `j` of a target (see elementsSatisfy); `s.vocab` tells a vocab target. */
function elementTest(test: ElementaryTest, expandAttr: TermExpander): Frag {
  if (test.op === 'regexp') return compare(ELEMENT_STRING, 'regexp', test.pattern);
  const to = test.op === 'between' ? test.to : undefined;
  const v = test.value;
  switch (v.type) {
    case 'number':
      return sql`(j.type IN ('integer', 'real') AND ${compare(raw('j.value'), test.op, v.value, to?.value)})`;
    case 'dateTime':
      return compare(ELEMENT_TIME, test.op, v.ms, msOf(to));
    case 'date':
      return sql`(${compare(ELEMENT_TIME, test.op, v.ms, msOf(to))} OR (${ELEMENT_STRING} GLOB ${raw(DATE_GLOB)} AND ${compare(ELEMENT_STRING, test.op, v.value, to?.value)}))`;
    case 'time':
      return sql`(${ELEMENT_STRING} GLOB ${raw(TIME_GLOB)} AND ${compare(ELEMENT_STRING, test.op, v.value, to?.value)})`;
    case 'string':
    case 'uri': {
      const direct = compare(ELEMENT_STRING, test.op, v.value, to?.value);
      const vocab = vocabForms(test, expandAttr);
      return vocab.length === 0 ? direct : sql`(${direct} OR (s.vocab AND ${ELEMENT_STRING} ${inList(vocab)}))`;
    }
    case 'boolean':
      return sql`j.type = ${param(v.value ? 'true' : 'false')}`;
  }
}

/** Boolean: some element `j` of the target satisfies `test`. */
function elementsSatisfy(target: Target, test: Frag): Frag {
  return sql`EXISTS (SELECT 1 FROM (SELECT ${target.json} AS t, ${target.languageMap} AS lang, ${target.vocab} AS vocab) s, json_each(CASE WHEN s.lang THEN (SELECT json_group_array(l.value) FROM json_tree(s.t) l WHERE l.type = 'text') WHEN json_type(s.t) = 'array' THEN s.t ELSE json_array(json(s.t)) END) j WHERE ${test})`;
}

// ---------------------------------------------------------------------------------------------
// scopeQ
// ---------------------------------------------------------------------------------------------

/** Condition on scope string `s.value` for one scope pattern; null when any scope matches. */
function scopeCondition(scope: ScopeTerm): Frag | null {
  if (scope.segments.length === 0) return null;
  if (scope.segments.includes(ANY_SEGMENT)) {
    const body = scope.segments.map((s) => (s === ANY_SEGMENT ? '/[^/]+' : '/' + escapeRegex(s))).join('');
    return sql`s.value REGEXP ${param(`^${body}${scope.descendants ? '(?:/.*)?' : ''}$`)}`;
  }
  const path = '/' + scope.segments.join('/');
  if (!scope.descendants) return sql`s.value = ${param(path)}`;
  return sql`(s.value = ${param(path)} OR substr(s.value, 1, ${param(path.length + 1)}) = ${param(path + '/')})`;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** One entity selector as SQL over an entity row `e` (id column): ids, idPattern and type selection AND-ed. */
export
function compileSelector(sel: EntitySelector, expand: (t: string) => string): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (sel.ids && sel.ids.length > 0) {
    parts.push(`e.id IN (${sel.ids.map(() => '?').join(', ')})`);
    params.push(...sel.ids);
  }
  if (sel.idPattern !== undefined) {
    const prefix = literalPrefix(sel.idPattern);
    if (prefix) {
      // Lets the (tenant, id) index narrow the scan before the regular expression runs.
      parts.push('e.id >= ? AND e.id < ?');
      params.push(prefix, prefix + '\uffff');
    }
    parts.push('e.id REGEXP ?');
    params.push(sel.idPattern);
  }
  if (sel.typeSelection) {
    const c = compileTypeSelection(sel.typeSelection, expand);
    parts.push(`(${c.sql})`);
    params.push(...c.params);
  }
  return { sql: parts.length > 0 ? parts.join(' AND ') : '1', params };
}

