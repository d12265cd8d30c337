/**
 * q, type selection and scopeQ evaluated in memory (q-eval.ts, used by subscriptions) must agree
 * with their SQL compilation (q-sql.ts, used by queries) on every entity: randomized entities and
 * randomized queries, both run, results compared.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttrInstance, Entity } from '../../src/broker/model.js';
import { evalQ, evalScopeQ, evalTypeSelection } from '../../src/broker/query/q-eval.js';
import { parseQ } from '../../src/broker/query/q-parser.js';
import { parseScopeQ } from '../../src/broker/query/scope-q.js';
import { parseTypeSelection } from '../../src/broker/query/type-selection.js';
import { attributeIndexColumns } from '../../src/store/sqlite/attribute-index.js';
import { registerSqlFunctions } from '../../src/store/sqlite/functions.js';
import { compileQ, compileScopeQ, compileTypeSelection, type SqlFragment } from '../../src/store/sqlite/q-sql.js';
import { MIGRATIONS } from '../../src/store/sqlite/schema.js';
import { rng } from '../helpers/random.js';

const NS = 'https://example.org/ns/';
const expand = (term: string) => (term.includes(':') ? term : NS + term);
const random = rng(20261121);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
const chance = (p: number) => random() < p;

const NUMBERS = [-3, 0, 1.5, 7, 21, 100];
const STRINGS = ['a', 'b', 'zeta', 'Madrid', '21', 'Ärger', '😀x', '2024-03-01', '08:30:00', '2024-01-15T08:00:00Z', 'red'];
const DATETIMES = ['2024-01-15T08:00:00Z', '2024-02-01T00:00:00+01:00', '2023-12-31T23:59:59.5Z'];
const ATTRS = ['temperature', 'name', 'tags', 'address', 'category', 'label', 'ref', 'open', 'when'];

function randomValue(depth = 0): unknown {
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
      return Array.from({ length: 1 + Math.floor(random() * 3) }, () => randomValue(depth + 1));
    case 6:
      return { city: randomValue(depth + 1), floor: pick(NUMBERS), nested: { k: randomValue(depth + 2) } };
    default:
      return null;
  }
}

function randomInstance(sub = false): AttrInstance {
  const kind = pick(['Property', 'Property', 'Property', 'Relationship', 'LanguageProperty', 'VocabProperty', 'ListProperty', 'JsonProperty']);
  let inst: AttrInstance;
  switch (kind) {
    case 'Relationship':
      inst = { type: 'Relationship', object: chance(0.7) ? pick(['urn:x:1', 'urn:x:2']) : ['urn:x:1', 'urn:x:3'] };
      break;
    case 'LanguageProperty':
      inst = { type: 'LanguageProperty', languageMap: { en: pick(STRINGS), es: chance(0.5) ? pick(STRINGS) : [pick(STRINGS), pick(STRINGS)] } };
      break;
    case 'VocabProperty':
      inst = { type: 'VocabProperty', vocab: chance(0.5) ? NS + pick(['red', 'zeta']) : pick(['urn:v:1', NS + 'a']) };
      break;
    case 'ListProperty':
      inst = { type: 'ListProperty', valueList: [pick(NUMBERS), pick(STRINGS)] };
      break;
    case 'JsonProperty':
      inst = { type: 'JsonProperty', json: { city: pick(STRINGS), n: pick(NUMBERS) } };
      break;
    default:
      inst = { type: 'Property', value: randomValue() };
  }
  if (chance(0.3)) inst.observedAt = pick(DATETIMES);
  if (chance(0.2)) inst.unitCode = pick(['CEL', 'MTR']);
  if (!sub && chance(0.3)) inst[NS + 'accuracy'] = randomInstance(true);
  return inst;
}

function randomEntity(i: number): Entity {
  const attrs: Record<string, AttrInstance[]> = {};
  for (const a of ATTRS) {
    if (!chance(0.45)) continue;
    const list = [randomInstance()];
    if (chance(0.2)) list.push({ ...randomInstance(), datasetId: 'urn:ds:1' });
    attrs[NS + a] = list;
  }
  const e: Entity = { id: `urn:E${i}`, types: [pick(['Building', 'Shop', 'Park']), ...(chance(0.3) ? ['Shop'] : [])].map(expand), attrs };
  if (chance(0.6)) e.scope = Array.from({ length: 1 + Math.floor(random() * 2) }, () => pick(['/Madrid', '/Madrid/Gardens', '/Madrid/Retiro/Park', '/Barcelona', '/B/x']));
  return e;
}

const VALUES = ['21', '7', '-3', '1.5', '"a"', '"zeta"', '"21"', '"Ärger"', '"😀x"', 'true', 'false', 'urn:x:1', '"red"', 'https://example.org/ns/red', '2024-01-15T08:00:00Z', '2024-01-31T23:00:00Z', '2024-03-01', '08:30:00', '"2024-03-01"'];
const ORDERED = ['7', '1.5', '"b"', '"Madrid"', '2024-01-15T08:00:00Z', '2024-03-01', '08:00:00'];
const PATHS = [...ATTRS, 'temperature.accuracy', 'name.accuracy', 'address[city]', 'address[nested.k]', 'label[en]', 'tags.observedAt', 'name.unitCode', 'temperature.datasetId', 'address.accuracy[city]'];

function randomTerm(): string {
  const p = pick(PATHS);
  switch (Math.floor(random() * 7)) {
    case 0:
      return p;
    case 1:
      return '!' + p;
    case 2:
      return `${p}${pick(['==', '!='])}${pick(VALUES)}${chance(0.3) ? ',' + pick(VALUES) : ''}`;
    case 3:
      return `${p}${pick(['<', '<=', '>', '>='])}${pick(ORDERED)}`;
    case 4:
      return `${p}${pick(['==', '!='])}${pick(['0..21', '"a".."n"', '2024-01-01T00:00:00Z..2024-02-01T00:00:00Z', '2024-01-01..2024-06-01'])}`;
    case 5:
      return `${p}${pick(['~=', '!~='])}${pick(['"^M"', '"(?i)zeta"', '"2"', '"x$"'])}`;
    default:
      return `${p}==${pick(VALUES)}`;
  }
}

function randomQ(depth = 0): string {
  if (depth > 1 || chance(0.5)) return randomTerm();
  const n = 2 + Math.floor(random() * 2);
  const parts = Array.from({ length: n }, () => randomQ(depth + 1));
  const joined = parts.join(chance(0.5) ? ';' : '|');
  return depth > 0 ? `(${joined})` : joined;
}

const ENTITIES = Array.from({ length: 150 }, (_, i) => randomEntity(i));
let dir: string;
let db: Database.Database;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'urbis-q-eval-'));
  db = new Database(join(dir, 'store.db'));
  registerSqlFunctions(db);
  for (const m of MIGRATIONS) db.exec(m);
  db.transaction(() => {
    for (const e of ENTITIES) {
      const { lastInsertRowid: pk } = db
        .prepare("INSERT INTO entities (tenant, id, types, scopes, created_at, modified_at) VALUES ('', ?, ?, ?, 'x', 'x')")
        .run(e.id, JSON.stringify(e.types), e.scope ? JSON.stringify(e.scope) : null);
      for (const t of new Set(e.types)) db.prepare("INSERT INTO entity_types (tenant, type, entity_pk) VALUES ('', ?, ?)").run(t, pk);
      for (const [name, list] of Object.entries(e.attrs)) {
        for (const a of list) {
          const c = attributeIndexColumns(a);
          db.prepare('INSERT INTO attributes (entity_pk, name, dataset_id, kind, data, value, vnum, vstr, vtime) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
            pk, name, a.datasetId ?? '', a.type, JSON.stringify(a), c.value, c.vnum, c.vstr, c.vtime,
          );
        }
      }
    }
  })();
});

afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function sqlMatches(c: SqlFragment): string[] {
  return (db.prepare(`SELECT e.id FROM entities e WHERE e.tenant = '' AND (${c.sql}) ORDER BY e.pk`).all(...c.params) as { id: string }[]).map((r) => r.id);
}

describe('q evaluated in memory agrees with its SQL compilation', () => {
  it('on 400 random queries over 150 random entities', () => {
    let nonTrivial = 0;
    for (let i = 0; i < 400; i++) {
      const text = randomQ();
      const ast = parseQ(text);
      const fromSql = sqlMatches(compileQ(ast, expand));
      const inMemory = ENTITIES.filter((e) => evalQ(ast, e, expand)).map((e) => e.id);
      expect(inMemory, text).toEqual(fromSql);
      if (fromSql.length > 0 && fromSql.length < ENTITIES.length) nonTrivial++;
    }
    // The generator must produce queries that actually split the entities.
    expect(nonTrivial).toBeGreaterThan(150);
  });

  it('on type selections', () => {
    for (const text of ['Building', 'Shop', 'Building;Shop', 'Building|Park', '(Building;Shop)|Park', 'Shop;(Park|Building)', 'Nothing', 'https://example.org/ns/Park']) {
      const ast = parseTypeSelection(text);
      expect(ENTITIES.filter((e) => evalTypeSelection(ast, e, expand)).map((e) => e.id), text).toEqual(sqlMatches(compileTypeSelection(ast, expand)));
    }
  });

  it('on scopeQ', () => {
    for (const text of ['/Madrid', '/Madrid/#', '/#', '/+', '/Madrid/+', '/Madrid/+/Park', '/+/#', '/B/x|/Barcelona', '/Madrid/#;/Barcelona', '/Mad/#']) {
      const ast = parseScopeQ(text);
      expect(ENTITIES.filter((e) => evalScopeQ(ast, e)).map((e) => e.id), text).toEqual(sqlMatches(compileScopeQ(ast)));
    }
  });
});
