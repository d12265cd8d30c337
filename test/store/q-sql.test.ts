import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttrInstance } from '../../src/broker/model.js';
import { parseQ, type QNode } from '../../src/broker/query/q-parser.js';
import { parseScopeQ } from '../../src/broker/query/scope-q.js';
import { parseTypeSelection } from '../../src/broker/query/type-selection.js';
import { attributeIndexColumns } from '../../src/store/sqlite/attribute-index.js';
import { registerSqlFunctions } from '../../src/store/sqlite/functions.js';
import { compileQ, compileQDriver, compileScopeQ, compileTypeSelection, type SqlFragment } from '../../src/store/sqlite/q-sql.js';
import { MIGRATIONS } from '../../src/store/sqlite/schema.js';

const NS = 'https://example.org/ns/';
/** A stand-in for the @context: short terms go to NS, IRIs and compact IRIs stay. */
const expand = (term: string) => (term.includes(':') ? term : NS + term);

interface Fixture {
  tenant?: string;
  id: string;
  types: string[];
  scopes?: string[];
  attrs: Record<string, AttrInstance[]>;
}

const P = (value: unknown, extra: Partial<AttrInstance> = {}): AttrInstance => ({ type: 'Property', value, ...extra });

const FIXTURES: Fixture[] = [
  {
    id: 'urn:E1',
    types: ['Building'],
    scopes: ['/Madrid/Gardens'],
    attrs: {
      temperature: [
        P(21.5, {
          observedAt: '2024-01-10T10:00:00Z',
          unitCode: 'CEL',
          [NS + 'accuracy']: P(0.5),
          [NS + 'sensor']: { type: 'Relationship', object: 'urn:S1' },
        }),
      ],
      name: [P('Main; Street (old)')],
      count: [P(21)],
      refBuilding: [{ type: 'Relationship', object: 'urn:ngsi-ld:Building:B1' }],
      open: [P(true)],
      tags: [P(['red', 'green'])],
      address: [P({ streetAddress: 'Gran Via 1', 'postal.code': '28013', 'say"hi': 'x', nested: { floor: 3 } })],
      installedAt: [P({ '@type': 'DateTime', '@value': '2024-01-15T08:00:00Z' })],
      category: [{ type: 'VocabProperty', vocab: NS + 'commercial' }],
      label: [{ type: 'LanguageProperty', languageMap: { en: 'Park', es: ['Parque', 'Jardín'] } }],
      readings: [{ type: 'ListProperty', valueList: [1, 5, 9] }],
    },
  },
  {
    id: 'urn:E2',
    types: ['Building', 'Shop'],
    scopes: ['/Madrid/Retiro/Park', '/Barcelona'],
    attrs: {
      temperature: [P(18), P(30, { datasetId: 'urn:ds:1' })],
      name: [P('21')],
      refBuilding: [{ type: 'Relationship', object: ['urn:ngsi-ld:Building:B2', 'urn:ngsi-ld:Building:B3'] }],
      open: [P(false)],
      tags: [P('blue')],
      installedAt: [P('2024-02-01T00:00:00+01:00')],
      address: [P({ streetAddress: 'Alcalá 5', nested: { floor: 7 } })],
      category: [{ type: 'VocabProperty', vocab: NS + 'residential' }],
      members: [{ type: 'ListRelationship', objectList: ['urn:P1', 'urn:P2'] }],
      opening: [P('2024-03-01')],
      opensAt: [P('08:30:00')],
    },
  },
  {
    id: 'urn:E3',
    types: ['Shop'],
    attrs: {
      name: [P('zeta')],
      temperature: [P(-1500)],
      config: [{ type: 'JsonProperty', json: { a: [1, 2], b: null } }],
    },
  },
  { id: 'urn:E4', types: ['Park'], scopes: ['/Madrid'], attrs: { name: [P('Madrid Park')] } },
  {
    tenant: 'other',
    id: 'urn:E9',
    types: ['Building'],
    scopes: ['/Madrid/Gardens'],
    attrs: { temperature: [P(21.5)], name: [P('zeta')] },
  },
];

let dir: string;
let db: Database.Database;

function insert(f: Fixture): void {
  const now = '2024-01-01T00:00:00Z';
  const tenant = f.tenant ?? '';
  const types = f.types.map(expand);
  const { lastInsertRowid: pk } = db
    .prepare('INSERT INTO entities (tenant, id, types, scopes, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?)')
    .run(tenant, f.id, JSON.stringify(types), f.scopes ? JSON.stringify(f.scopes) : null, now, now);
  for (const t of types) db.prepare('INSERT INTO entity_types (tenant, type, entity_pk) VALUES (?, ?, ?)').run(tenant, t, pk);
  for (const [name, instances] of Object.entries(f.attrs)) {
    for (const a of instances) {
      const c = attributeIndexColumns(a);
      db.prepare(
        `INSERT INTO attributes (entity_pk, name, dataset_id, kind, data, value, vnum, vstr, vtime)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(pk, expand(name), a.datasetId ?? '', a.type, JSON.stringify(a), c.value, c.vnum, c.vstr, c.vtime);
    }
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'urbis-q-sql-'));
  db = new Database(join(dir, 'store.db'));
  registerSqlFunctions(db);
  for (const m of MIGRATIONS) db.exec(m);
  db.transaction(() => FIXTURES.forEach(insert))();
});

afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function matching(c: SqlFragment, tenant = ''): string[] {
  const rows = db
    .prepare(`SELECT e.id FROM entities e WHERE e.tenant = ? AND (${c.sql}) ORDER BY e.id`)
    .all(tenant, ...c.params) as { id: string }[];
  return rows.map((r) => r.id.replace('urn:', ''));
}

const q = (query: string | QNode, tenant = '') => matching(compileQ(typeof query === 'string' ? parseQ(query) : query, expand), tenant);

/** q expressions over FIXTURES and the entities (tenant '') each must select. */
const Q_CASES: Array<[string, string[]]> = [
  // numbers
  ['temperature==21.5', ['E1']],
  ['temperature>20', ['E1', 'E2']],
  ['temperature<0', ['E3']],
  ['temperature==-1.5e3', ['E3']],
  ['temperature==18,30', ['E2']],
  ['temperature==20..25', ['E1']],
  ['temperature!=20..25', ['E2', 'E3']],
  ['temperature!=21.5', ['E2', 'E3']],
  ['temperature!=18', ['E1', 'E2', 'E3']],
  ['temperature!=18,30', ['E1', 'E3']],
  // no coercion between numbers and strings
  ['count==21', ['E1']],
  ['count=="21"', []],
  ['name=="21"', ['E2']],
  ['name==21', []],
  // strings
  ['name=="Main; Street (old)"', ['E1']],
  ['name>"a"', ['E3']],
  ['name=="M".."N"', ['E1', 'E4']],
  ['name!="zeta","21"', ['E1', 'E4']],
  ['name=="x\' OR 1=1 --"', []],
  // relationships
  ['refBuilding==urn:ngsi-ld:Building:B1', ['E1']],
  ['refBuilding=="urn:ngsi-ld:Building:B1"', ['E1']],
  ['refBuilding==urn:ngsi-ld:Building:B3', ['E2']],
  ['refBuilding!=urn:ngsi-ld:Building:B3', ['E1']],
  ['members==urn:P2', ['E2']],
  // booleans
  ['open==true', ['E1']],
  ['open==false', ['E2']],
  ['open!=true', ['E2']],
  // arrays: any element
  ['tags=="green"', ['E1']],
  ['tags=="blue"', ['E2']],
  ['tags!="red"', ['E2']],
  ['tags!="red","blue"', []],
  ['readings==5', ['E1']],
  ['readings>8', ['E1']],
  ['readings<0', []],
  // date-times by instant, whatever the offset or representation
  ['installedAt>=2024-01-31T22:00:00Z', ['E2']],
  ['installedAt==2024-01-31T23:00:00Z', ['E2']],
  ['installedAt==2024-02-01T01:00:00+02:00', ['E2']],
  ['installedAt<2024-01-20T00:00:00.000Z', ['E1']],
  ['installedAt==2024-01-01T00:00:00Z..2024-02-01T00:00:00Z', ['E1', 'E2']],
  ['installedAt=="2024-01-15T08:00:00Z"', ['E1']],
  // dates and times
  ['opening==2024-03-01', ['E2']],
  ['opening>=2024-01-01', ['E2']],
  ['opening==2024-01-01..2024-02-01', []],
  ['installedAt>=2024-01-20', ['E2']],
  ['opensAt>=08:00:00', ['E2']],
  ['opensAt<08:00:00', []],
  // vocab: literal or expanded
  ['category=="commercial"', ['E1']],
  ['category==https://example.org/ns/commercial', ['E1']],
  ['category!="commercial"', ['E2']],
  ['name=="https://example.org/ns/zeta"', []],
  // language maps: every string
  ['label=="Jardín"', ['E1']],
  ['label~="^Par"', ['E1']],
  ['label[es]=="Parque"', ['E1']],
  ['label[en]=="Park"', ['E1']],
  ['label[en]=="Parque"', []],
  // regular expressions
  ['name~="(?i)^madrid"', ['E4']],
  ['name~=z.t', ['E3']],
  ['name!~="^M"', ['E2', 'E3']],
  ['refBuilding~=B[23]$', ['E2']],
  ['temperature~=2', []],
  // existence
  ['members', ['E2']],
  ['!members', ['E1', 'E3', 'E4']],
  ['name', ['E1', 'E2', 'E3', 'E4']],
  // sub-attributes and members
  ['temperature.accuracy<1', ['E1']],
  ['temperature.accuracy', ['E1']],
  ['!temperature.accuracy', ['E2', 'E3', 'E4']],
  ['temperature.sensor==urn:S1', ['E1']],
  ['temperature.observedAt>=2024-01-01T00:00:00Z', ['E1']],
  ['temperature.observedAt>=2024-02-01T00:00:00Z', []],
  ['temperature.unitCode=="CEL"', ['E1']],
  ['temperature.datasetId==urn:ds:1', ['E2']],
  ['temperature.datasetId', ['E2']],
  // trailing paths into JSON values
  ['address[streetAddress]=="Gran Via 1"', ['E1']],
  ['address[nested.floor]>5', ['E2']],
  ['address[nested][floor]==3', ['E1']],
  ['address[say"hi]=="x"', ['E1']],
  ['address[nested]', ['E1', 'E2']],
  ['!address[streetAddress]', ['E3', 'E4']],
  ['config[a]==2', ['E3']],
  ['config[b]', ['E3']],
  // logical combinations
  ['((temperature==21.5|temperature==-1.5e3);name=="zeta")|members', ['E2', 'E3']],
  ['(temperature>20;open==true)|name~="^zeta$"', ['E1', 'E3']],
  ['temperature>0;temperature<25', ['E1', 'E2']],
  ['name;!temperature', ['E4']],
  // several terms on one attribute, met by different instances or elements
  ['temperature>20;temperature<25', ['E1', 'E2']],
  ['temperature>25;temperature<20', ['E2']],
  ['readings>8;readings<2', ['E1']],
  ['readings>8;readings<2;name~="^Main"', ['E1']],
];

describe('compileQ against SQLite', () => {
  it.each(Q_CASES)('%s', (query, expected) => {
    expect(q(query)).toEqual(expected);
  });

  it('follows a trailing path key containing a dot', () => {
    const ast: QNode = {
      kind: 'compare',
      attr: { name: 'address', subAttrs: [], jsonPath: ['postal.code'], text: 'address[postal.code]' },
      op: '==',
      operand: { kind: 'values', values: [{ type: 'string', value: '28013' }] },
    };
    expect(q(ast)).toEqual(['E1']);
  });

  it('stays within the tenant', () => {
    expect(q('temperature==21.5', 'other')).toEqual(['E9']);
    expect(q('name=="zeta"')).toEqual(['E3']);
  });

  it('binds every value as a parameter', () => {
    const c = compileQ(parseQ('name=="Main; Street (old)"|refBuilding==urn:x:y|address[say"hi]=="x"'), expand);
    expect(c.sql).not.toContain('Main');
    expect(c.sql).not.toContain('urn:x:y');
    expect(c.sql).not.toContain('say');
    expect(c.params).toContain('Main; Street (old)');
    expect(c.params).toContain('$."say\\"hi"');
    expect(c.sql.split('?').length - 1).toBe(c.params.length);
  });

  it('lets the indexes on vnum, vstr and vtime serve scalar comparisons', () => {
    const plan = (query: string) => {
      const c = compileQ(parseQ(query), expand);
      return (
        db.prepare(`EXPLAIN QUERY PLAN SELECT e.id FROM entities e WHERE e.tenant = ? AND (${c.sql})`).all('', ...c.params) as {
          detail: string;
        }[]
      )
        .map((r) => r.detail)
        .join('\n');
    };
    expect(plan('temperature>20')).toMatch(/attributes_num/);
    expect(plan('name=="zeta"')).toMatch(/attributes_str/);
    expect(plan('installedAt>=2024-01-31T22:00:00Z')).toMatch(/attributes_time/);
  });

  it('raises BadRequestData when an unsafe regex reaches the SQL function', () => {
    expect(() => db.prepare("SELECT 'aaa' REGEXP '(a+)+$' AS m").get()).toThrow(/catastrophic backtracking/);
    expect(db.prepare('SELECT NULL REGEXP ? AS a, 5 REGEXP ? AS b').get('x', '5')).toEqual({ a: 0, b: 0 });
  });
});

describe('compileTypeSelection against SQLite', () => {
  const types = (selection: string, tenant = '') => matching(compileTypeSelection(parseTypeSelection(selection), expand), tenant);

  it.each<[string, string[]]>([
    ['Building', ['E1', 'E2']],
    ['Shop', ['E2', 'E3']],
    ['Building;Shop', ['E2']],
    ['Building|Shop', ['E1', 'E2', 'E3']],
    ['Building,Shop', ['E1', 'E2', 'E3']],
    ['(Building;Shop)|Park', ['E2', 'E4']],
    ['Shop;(Park|Building)', ['E2']],
    ['Shop;Park', []],
    ['https://example.org/ns/Park', ['E4']],
    ['Unknown', []],
  ])('%s', (selection, expected) => {
    expect(types(selection)).toEqual(expected);
  });

  it('stays within the tenant', () => {
    expect(types('Building', 'other')).toEqual(['E9']);
  });
});

describe('compileScopeQ against SQLite', () => {
  const scopes = (scopeQ: string) => matching(compileScopeQ(parseScopeQ(scopeQ)));

  it.each<[string, string[]]>([
    ['/Madrid/Gardens', ['E1']],
    ['/Madrid', ['E4']],
    ['/Madrid/#', ['E1', 'E2', 'E4']],
    ['/Mad/#', []],
    ['/#', ['E1', 'E2', 'E4']],
    ['/Madrid/+/Park', ['E2']],
    ['/Madrid/+', ['E1']],
    ['/+', ['E2', 'E4']],
    ['/+/#', ['E1', 'E2', 'E4']],
    ['/Madrid/#;/Barcelona', ['E2']],
    ['/Barcelona|/Madrid/Gardens', ['E1', 'E2']],
    ['/Barcelona,/Madrid', ['E2', 'E4']],
    ['(/Madrid/+|/Madrid);/Madrid/#', ['E1', 'E4']],
  ])('%s', (scopeQ, expected) => {
    expect(scopes(scopeQ)).toEqual(expected);
  });
});

/**
 * The forms the broker store uses when a query's candidates come from an index (broker-store.ts
 * candidates): each term probing the candidate's own instances, and the candidates a q gives.
 */
describe('compileQ correlated, and the candidates of a q', () => {
  const inSet = (select: SqlFragment): SqlFragment => ({ sql: `e.pk IN (${select.sql})`, params: select.params });

  it.each(Q_CASES)('%s, correlated', (query, expected) => {
    expect(matching(compileQ(parseQ(query), expand, true))).toEqual(expected);
  });

  it.each(Q_CASES.filter(([query]) => compileQDriver(parseQ(query), expand) !== undefined))('%s, from its candidates', (query, expected) => {
    const ast = parseQ(query);
    const d = compileQDriver(ast, expand)!;
    const multi = (db.prepare(d.multiValuedSql).get(d.attribute, d.attribute) as { multi: number }).multi === 1;
    // The candidates contain every match, and with the q applied to them give exactly the matches.
    const candidates = matching(inSet(d.candidates));
    expect(candidates).toEqual(expect.arrayContaining(expected));
    const q = compileQ(ast, expand, true);
    expect(matching({ sql: `${inSet(d.candidates).sql} AND (${q.sql})`, params: [...d.candidates.params, ...q.params] })).toEqual(expected);
    // When no instance of the attribute holds several values, the exact set and the rest of the q are enough.
    if (!multi) {
      const rest = d.rest ? compileQ(d.rest, expand, true) : { sql: '1', params: [] };
      expect(matching({ sql: `${inSet(d.exact).sql} AND (${rest.sql})`, params: [...d.exact.params, ...rest.params] })).toEqual(expected);
    }
  });

  it('knows which attributes may hold several values', () => {
    const multi = (name: string) => (db.prepare(compileQDriver(parseQ(`${name}==1`), expand)!.multiValuedSql).get(expand(name), expand(name)) as { multi: number }).multi;
    expect(multi('temperature')).toBe(1); // a datasetId
    expect(multi('readings')).toBe(1); // a list
    expect(multi('count')).toBe(0);
    expect(multi('name')).toBe(0);
  });

  it('finds a range by the value index alone', () => {
    const d = compileQDriver(parseQ('count>=20;count<22'), expand)!;
    expect(d.bounded).toBe(true);
    const plan = (db.prepare(`EXPLAIN QUERY PLAN ${d.exact.sql}`).all(...d.exact.params) as { detail: string }[]).map((r) => r.detail).join('\n');
    expect(plan).toMatch(/COVERING INDEX attributes_num/);
    expect(compileQDriver(parseQ('count>=20'), expand)!.bounded).toBe(false);
    expect(compileQDriver(parseQ('!count'), expand)).toBeUndefined();
    expect(compileQDriver(parseQ('count>=20|name=="x"'), expand)).toBeUndefined();
  });
});
