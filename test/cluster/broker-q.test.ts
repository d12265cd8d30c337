/**
 * The PostgreSQL broker store filters q, type selections, scopeQ and idPattern in SQL with the
 * semantics of the in-memory evaluator (q-eval.ts, which the SQLite compiler agrees with):
 * randomized entities are written through the store, randomized queries are run through
 * queryEntities, and the ids must be those evalQ picks. The pieces the SQL relies on are checked
 * the same way: the regular-expression translation against JavaScript's RegExp, and the SQL
 * date-time function against dateTimeMillis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttrInstance, Entity } from '../../src/broker/model.js';
import type { EntityQuery } from '../../src/broker/store.js';
import { evalQ, evalScopeQ, evalTypeSelection } from '../../src/broker/query/q-eval.js';
import { parseQ } from '../../src/broker/query/q-parser.js';
import { parseScopeQ } from '../../src/broker/query/scope-q.js';
import { parseTypeSelection } from '../../src/broker/query/type-selection.js';
import { compileSafeRegex } from '../../src/broker/query/regex-guard.js';
import { dateTimeMillis } from '../../src/broker/values/validate.js';
import { toPostgresRegex } from '../../src/store/postgres/q-regex.js';
import { rng } from '../helpers/random.js';
import { brokerDatabase, type BrokerDatabase, type BrokerNode } from './broker-helpers.js';

const NS = 'https://example.org/ns/';
const expand = (term: string) => (term.includes(':') ? term : NS + term);
const random = rng(7_031_977);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const chance = (p: number) => random() < p;

const LONG = 'x'.repeat(127);
const NUMBERS = [-40, -1.5, 0, 0.1, 3, 21, 21.5, 1e6, 2 ** 53];
const STRINGS = ['a', 'B', 'zeta', 'Zeta', 'Madrid', 'madrid', '21', 'Ärger', 'ärger', 'café', 'naïve', 'x y', 'line\nbreak', '', 'ß', 'İ',
  '2024-03-01', '2024-02-30', '08:30:00', '23:59', '2024-01-15T08:00:00Z', '2024-01-15T09:00:00+01:00', '2024-01-15T08:00',
  `${LONG}a`, `${LONG}ab`, `${LONG}b`, `${LONG}`, 'urn:x:1', NS + 'red', 'red'];
const DATETIMES = ['2024-01-15T08:00:00Z', '2024-02-01T00:00:00+01:00', '2023-12-31T23:59:59.5Z', '2024-01-31T23:00:00Z'];
const ATTRS = ['temperature', 'name', 'tags', 'address', 'category', 'label', 'ref', 'open', 'when', 'where'];

function value(depth = 0): unknown {
  switch (Math.floor(random() * (depth > 1 ? 5 : 8))) {
    case 0:
      return pick(NUMBERS);
    case 1:
      return pick(STRINGS);
    case 2:
      return pick(DATETIMES);
    case 3:
      return chance(0.5);
    case 4:
      return { '@type': pick(['DateTime', 'Date', 'Time']), '@value': pick([...DATETIMES, '2024-03-01', '08:30:00']) };
    case 5:
      return Array.from({ length: 1 + Math.floor(random() * 3) }, () => value(depth + 1));
    case 6:
      return { city: value(depth + 1), floor: pick(NUMBERS), 'a.b': pick(STRINGS), nested: { k: value(depth + 2) } };
    default:
      return null;
  }
}

function instance(sub = false): AttrInstance {
  let inst: AttrInstance;
  switch (pick(['Property', 'Property', 'Property', 'Relationship', 'LanguageProperty', 'VocabProperty', 'ListProperty', 'JsonProperty', 'ListRelationship', 'GeoProperty'])) {
    case 'Relationship':
      inst = { type: 'Relationship', object: chance(0.7) ? pick(['urn:x:1', 'urn:x:2']) : ['urn:x:1', 'urn:x:3'] };
      break;
    case 'LanguageProperty':
      inst = { type: 'LanguageProperty', languageMap: { en: pick(STRINGS), es: chance(0.5) ? pick(STRINGS) : [pick(STRINGS), pick(STRINGS)] } };
      break;
    case 'VocabProperty':
      inst = { type: 'VocabProperty', vocab: chance(0.7) ? NS + pick(['red', 'zeta', 'a']) : [NS + 'red', 'urn:v:1'] };
      break;
    case 'ListProperty':
      inst = { type: 'ListProperty', valueList: [pick(NUMBERS), pick(STRINGS), value(2)] };
      break;
    case 'JsonProperty':
      inst = { type: 'JsonProperty', json: { city: pick(STRINGS), n: pick(NUMBERS) } };
      break;
    case 'ListRelationship':
      inst = { type: 'ListRelationship', objectList: ['urn:x:2', pick(['urn:x:1', 'urn:x:4'])] };
      break;
    case 'GeoProperty':
      inst = { type: 'GeoProperty', value: { type: 'Point', coordinates: [pick([-3.7, 2.17]), pick([40.4, 41.38])] } };
      break;
    default:
      inst = { type: 'Property', value: value() };
  }
  if (chance(0.3)) inst.observedAt = pick(DATETIMES);
  if (chance(0.2)) inst.unitCode = pick(['CEL', 'MTR']);
  if (!sub && chance(0.3)) inst[NS + 'accuracy'] = instance(true);
  return inst;
}

function entity(i: number): Entity {
  const attrs: Record<string, AttrInstance[]> = {};
  for (const a of ATTRS) {
    if (!chance(0.45)) continue;
    const list = [instance()];
    if (chance(0.2)) list.push({ ...instance(), datasetId: 'urn:ds:1' });
    attrs[NS + a] = list;
  }
  const e: Entity = {
    id: `urn:ngsi-ld:${pick(['Building', 'Shop'])}:${i}${chance(0.2) ? '.x' : ''}`,
    types: [...new Set([pick(['Building', 'Shop', 'Park']), ...(chance(0.3) ? ['Shop'] : [])].map(expand))],
    createdAt: '2024-01-01T00:00:00Z',
    modifiedAt: '2024-01-01T00:00:00Z',
    attrs,
  };
  if (chance(0.6)) e.scope = Array.from({ length: 1 + Math.floor(random() * 2) }, () => pick(['/Madrid', '/Madrid/Gardens', '/Madrid/Retiro/Park', '/Barcelona', '/B/x.y']));
  return e;
}

const VALUES = ['21', '21.5', '-1.5', '1e6', '9007199254740992', '"a"', '"zeta"', '"21"', '"Ärger"', '"café"', 'true', 'false', 'urn:x:1', '"red"',
  'https://example.org/ns/red', '2024-01-15T08:00:00Z', '2024-01-15T09:00:00+01:00', '2024-01-31T23:00:00Z', '2024-03-01', '08:30:00',
  '"2024-03-01"', `"${LONG}a"`, `"${LONG}"`];
const ORDERED = ['3', '0', '"b"', '"Madrid"', '"ä"', `"${LONG}a"`, `"${LONG}aa"`, '2024-01-15T08:00:00Z', '2024-03-01', '08:00:00'];
const RANGES = ['0..21', '"a".."n"', `"${LONG}".."${LONG}b"`, '2024-01-01T00:00:00Z..2024-02-01T00:00:00Z', '2024-01-01..2024-06-01', '08:00:00..09:00:00'];
const PATTERNS = ['"^M"', '"(?i)zeta"', '"2"', '"x$"', '"(?i)^ä"', '"\\\\bcaf"', '"^\\\\d+$"', '"[^a-z]"', '"^.{0,3}$"', '"e\\\\b"', '"(?i)İ"'];
const PATHS = [...ATTRS, 'temperature.accuracy', 'name.accuracy', 'address[city]', 'address[nested.k]', 'address[a.b]', 'label[en]', 'label[es]',
  'tags.observedAt', 'name.unitCode', 'temperature.datasetId', 'address.accuracy[city]', 'when.accuracy.observedAt', 'ref.accuracy'];

function term(): string {
  const p = pick(PATHS);
  switch (Math.floor(random() * 8)) {
    case 7: {
      // Several positive terms on one attribute, AND-ed: compiled together.
      const a = pick(ATTRS);
      return Array.from({ length: 2 + Math.floor(random() * 2) }, () =>
        chance(0.5) ? `${a}${pick(['==', '>=', '<', '>'])}${pick(ORDERED)}` : `${a}${pick(['==', '~='])}${pick(chance(0.5) ? VALUES : PATTERNS)}`,
      ).join(';');
    }
    case 0:
      return p;
    case 1:
      return '!' + p;
    case 2:
      return `${p}${pick(['==', '!='])}${pick(VALUES)}${chance(0.3) ? ',' + pick(VALUES) : ''}`;
    case 3:
      return `${p}${pick(['<', '<=', '>', '>='])}${pick(ORDERED)}`;
    case 4:
      return `${p}${pick(['==', '!='])}${pick(RANGES)}`;
    case 5:
      return `${p}${pick(['~=', '!~='])}${pick(PATTERNS)}`;
    default:
      return `${p}==${pick(VALUES)}`;
  }
}

function q(depth = 0): string {
  if (depth > 1 || chance(0.5)) return term();
  const parts = Array.from({ length: 2 + Math.floor(random() * 2) }, () => q(depth + 1));
  const joined = parts.join(chance(0.5) ? ';' : '|');
  return depth > 0 ? `(${joined})` : joined;
}

const ENTITIES = Array.from({ length: 200 }, (_, i) => entity(i));
let pg: BrokerDatabase;
let node: BrokerNode;

beforeAll(async () => {
  pg = await brokerDatabase();
  node = await pg.node();
  await node.store.restoreEntities('', ENTITIES);
  await node.store.restoreEntities('other', ENTITIES.slice(0, 20));
});

afterAll(async () => {
  await pg?.drop();
});

async function ids(query: Partial<EntityQuery>): Promise<string[]> {
  const page = await node.store.queryEntities('', { expand, limit: 1000, offset: 0, count: true, ...query });
  expect(page.count).toBe(page.entities.length);
  return page.entities.map((e) => e.id);
}

describe('q on PostgreSQL agrees with the in-memory evaluator', () => {
  it('on 600 random queries over 200 random entities', async () => {
    let splitting = 0;
    for (let i = 0; i < 600; i++) {
      const text = q();
      const ast = parseQ(text);
      const expected = ENTITIES.filter((e) => evalQ(ast, e, expand)).map((e) => e.id);
      expect(await ids({ q: ast }), text).toEqual(expected);
      if (expected.length > 0 && expected.length < ENTITIES.length) splitting++;
    }
    // The generator must produce queries that actually split the entities.
    expect(splitting).toBeGreaterThan(250);
  });

  it('on type selections, scopeQ and idPattern', async () => {
    for (const text of ['Building', 'Shop', 'Building;Shop', 'Building|Park', '(Building;Shop)|Park', 'Shop;(Park|Building)', 'Nothing', 'https://example.org/ns/Park']) {
      const ast = parseTypeSelection(text);
      expect(await ids({ entities: [{ typeSelection: ast }] }), text).toEqual(ENTITIES.filter((e) => evalTypeSelection(ast, e, expand)).map((e) => e.id));
    }
    for (const text of ['/Madrid', '/Madrid/#', '/#', '/+', '/Madrid/+', '/Madrid/+/Park', '/+/#', '/B/x.y|/Barcelona', '/Madrid/#;/Barcelona', '/Mad/#', '/B/+']) {
      const ast = parseScopeQ(text);
      expect(await ids({ scopeQ: ast }), text).toEqual(ENTITIES.filter((e) => evalScopeQ(ast, e)).map((e) => e.id));
    }
    for (const pattern of ['^urn:ngsi-ld:Shop:1', '^urn:ngsi-ld:Building:\\d$', '\\.x$', '(?i)SHOP:2', '^urn:ngsi-ld:(Shop|Building):1[0-9]$']) {
      const re = compileSafeRegex(pattern, 'idPattern');
      expect(await ids({ entities: [{ idPattern: pattern }] }), pattern).toEqual(ENTITIES.filter((e) => re.test(e.id)).map((e) => e.id));
    }
  });

  it('stays within the tenant and pages in the order entities were created', async () => {
    const page = await node.store.queryEntities('other', { expand, limit: 5, offset: 5, count: true });
    expect(page.count).toBe(20);
    expect(page.entities.map((e) => e.id)).toEqual(ENTITIES.slice(5, 10).map((e) => e.id));
    expect(page.entities[0]).toEqual(ENTITIES[5]);
  });
});

describe('regular expressions translated for PostgreSQL', () => {
  const SUBJECTS = ['', 'a', 'A', 'abc', 'ABC', 'aXb', 'a\nb', 'a\r\nb', 'foo bar', 'foo_bar', 'café', 'CAFÉ', 'naïve', 'Straße', 'STRASSE', 'ß', 'ẞ',
    'İstanbul', 'istanbul', 'ſ', 's', 'S', 'K', 'k', '\u212a', 'ǅ', 'ǆ', 'Ǆ', '٣', '123', 'x1y2', 'a-b', 'a.b', 'a\\b', '[x]', '{1}', 'tab\there',
    '\u00a0', '\u2028', 'x\u2029y', ' ', 'urn:ngsi-ld:Shop:12', 'aaa', 'abab', 'éé', 'Ωω', 'ΣσςΣ', 'µ', 'Μ'];
  const FIXED = ['^a', 'a$', '^$', '.', '^.$', '^..$', 'a.b', '\\d', '\\D', '\\w+', '^\\W', '\\s', '\\S', '\\bbar', 'foo\\b', '\\Bo', 'é\\b',
    '[a-c]', '[^a-c]', '[]', '[^]', '^[^]$', '[\\d_]', '[\\W]', '[\\s\\S]', '[a\\-z]', '[-a]', '[a-]', '[\\b]', '[.]', '[\\]]', '\\[x\\]', '\\{1\\}', '{1}',
    'a{2}', 'a{1,}', 'a{,2}', 'x{', 'ab+?', '(a)(b)\\2', '(a)\\1', '(?:ab)+$', '(?<n>a)\\k<n>', '\\k', '(?=a)a', '(?!a).', '(?<=a)b', '(?<!a)b',
    '\\x41', '\\x4', '\\u00e9', '\\u00E9\\u00e9', '\\101', '\\0', '\\8', '\\cJ', '\\t', '\\n', '\\a', '\\e', '\\/', '\\.', '\\\\',
    '(?i)abc', '(?i)^CAF', '(?i)é', '(?i)É', '(?i)ß', '(?i)ẞ', '(?i)s', '(?i)ſ', '(?i)k', '(?i)\u212a', '(?i)ǅ', '(?i)[a-z]+$', '(?i)[^a-z]', '(?i)σ', '(?i)Σ',
    '(?i)µ', '(?i)İ', '(?i)i', '(?i)(a)\\1', '(?i)\\w', '(?i)[\\W]', 'a|b', '^(a|bc)$', '(?i)^(a|BC)+$', 'Ω', '[Ωω]', '[α-ω]'];
  const ATOMS = ['a', 'b', 'A', 'é', 'ß', '1', '_', ' ', '-', '\\.', '.', '\\d', '\\w', '\\s', '\\D', '\\W', '\\b', '\\B', '[a-c]', '[^a]', '[\\d_]', '[A-Z]',
    '\\x61', '\\u00e9', '(?:ab)', '(a)', '(?=a)', '(?!b)', '(?<=a)', '^', '$'];
  const QUANTIFIERS = ['', '', '', '?', '*', '+', '{1,2}', '{2}', '*?', '+?'];

  function pattern(): string {
    const parts: string[] = [];
    for (let n = 1 + Math.floor(random() * 5); n > 0; n--) {
      const atom = pick(ATOMS);
      parts.push(atom + (atom.startsWith('(?') || atom === '^' || atom === '$' || atom.startsWith('\\b') || atom.startsWith('\\B') ? '' : pick(QUANTIFIERS)));
      if (chance(0.1)) parts.push('|');
    }
    const body = parts.join('').replace(/^\||\|$/g, '');
    return (chance(0.3) ? '(?i)' : '') + (body === '' ? 'a' : body);
  }

  async function agree(patterns: string[]): Promise<number> {
    let checked = 0;
    for (const p of patterns) {
      let re: RegExp;
      try {
        re = compileSafeRegex(p, 'test');
      } catch {
        continue; // refused by the guard on both stores
      }
      const [{ m }] = await node.db.query<{ m: boolean[] }>('SELECT array_agg(s ~ $1 ORDER BY n) AS m FROM unnest($2::text[]) WITH ORDINALITY u(s, n)', [toPostgresRegex(p), SUBJECTS]);
      const mismatches = SUBJECTS.filter((s, i) => re.test(s) !== m[i]);
      expect(mismatches, `pattern ${JSON.stringify(p)} → ${toPostgresRegex(p)}`).toEqual([]);
      checked++;
    }
    return checked;
  }

  it('match what JavaScript matches, on tricky patterns', async () => {
    expect(await agree(FIXED)).toBeGreaterThan(FIXED.length - 5);
  });

  it('match what JavaScript matches, on 400 random patterns', async () => {
    expect(await agree(Array.from({ length: 400 }, pattern))).toBeGreaterThan(300);
  });
});

describe('ngsild_datetime_ms', () => {
  it('computes what dateTimeMillis computes', async () => {
    const samples = ['2024-01-15T08:00:00Z', '2024-01-15T08:00:00', '2024-01-15T08:00', '2024-02-30T00:00:00Z', '2023-02-29T12:00:00+01:00',
      '2024-04-31T10:00Z', '2024-01-01T10:00:00+0100', '2024-01-01T10:00:00-23:59', '2024-01-01T10:00:00.9999Z', '2024-01-01T10:00:00.1Z',
      '2024-01-01T10:00:00.123456789', '0000-01-01T00:00:00Z', '0000-03-01T00:00:00Z', '1969-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999+00:00',
      '2024-01-01T23:59:60Z', '2024-13-01T00:00:00Z', '2024-01-01', '08:30:00', 'x', '2024-1-01T00:00:00Z', '2024-01-01T24:00:00Z', ' 2024-01-01T00:00:00Z'];
    for (let i = 0; i < 300; i++) {
      const pad = (n: number, w = 2) => String(n).padStart(w, '0');
      const frac = chance(0.5) ? '.' + String(Math.floor(random() * 1e6)).slice(0, 1 + Math.floor(random() * 6)) : '';
      const zone = pick(['', 'Z', '+05:30', '-0800', '+14:00']);
      samples.push(`${pad(Math.floor(random() * 10000), 4)}-${pad(1 + Math.floor(random() * 12))}-${pad(1 + Math.floor(random() * 31))}T${pad(Math.floor(random() * 24))}:${pad(Math.floor(random() * 60))}${chance(0.8) ? ':' + pad(Math.floor(random() * 60)) + frac : ''}${zone}`);
    }
    const rows = await node.db.query<{ s: string; ms: number | null }>('SELECT s, ngsild_datetime_ms(s) AS ms FROM unnest($1::text[]) s', [samples]);
    expect(rows.map((r) => [r.s, r.ms])).toEqual(samples.map((s) => [s, dateTimeMillis(s)]));
  });
});
