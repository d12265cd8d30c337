/**
 * The broker schema's second migration (covering value indexes, the index of instances with a
 * datasetId, an R-tree carrying entity, name and geometry) on a database written by the first
 * schema: after `urbis migrate`, geo-queries, q ranges and type selections find what was there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { parseQ } from '../../src/broker/query/q-parser.js';
import { parseTypeSelection } from '../../src/broker/query/type-selection.js';
import { parseGeoQuery } from '../../src/broker/geo/geo-query.js';
import { attributeIndexColumns } from '../../src/store/sqlite/attribute-index.js';
import { SqliteBrokerStore } from '../../src/store/sqlite/broker-store.js';
import { migrate } from '../../src/store/sqlite/database.js';
import { registerSqlFunctions } from '../../src/store/sqlite/functions.js';
import { MIGRATIONS } from '../../src/store/sqlite/schema.js';
import type { AttrInstance } from '../../src/broker/model.js';

const NS = 'https://example.org/';
const expand = (t: string) => (t.includes(':') ? t : NS + t);
const dir = mkdtempSync(path.join(tmpdir(), 'urbis-broker-migration-'));
const file = path.join(dir, 'urbis.db');

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes entities as the first schema's store did: rows, types, attributes, R-tree boxes. */
function writeFirstSchema(): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  registerSqlFunctions(db);
  migrate(db, 'broker', MIGRATIONS.slice(0, 1));
  const t = '2026-01-01T00:00:00Z';
  for (let k = 0; k < 20; k++) {
    const type = k % 2 === 0 ? 'Sensor' : 'Lamp';
    const { lastInsertRowid: pk } = db.prepare("INSERT INTO entities (tenant, id, types, scopes, created_at, modified_at) VALUES ('', ?, ?, NULL, ?, ?)").run(`urn:e:${k}`, JSON.stringify([expand(type)]), t, t);
    db.prepare("INSERT INTO entity_types (tenant, type, entity_pk) VALUES ('', ?, ?)").run(expand(type), pk);
    const attrs: Array<[string, AttrInstance]> = [
      ['level', { type: 'Property', value: k }],
      ['location', { type: 'GeoProperty', value: { type: 'Point', coordinates: [2 + k * 0.001, 41] } }],
    ];
    for (const [name, inst] of attrs) {
      const c = attributeIndexColumns(inst);
      const { lastInsertRowid: apk } = db
        .prepare("INSERT INTO attributes (entity_pk, name, dataset_id, kind, data, value, vnum, vstr, vtime) VALUES (?, ?, '', ?, ?, ?, ?, ?, ?)")
        .run(pk, name === 'location' ? 'https://uri.etsi.org/ngsi-ld/location' : expand(name), inst.type, JSON.stringify(inst), c.value, c.vnum, c.vstr, c.vtime);
      if (name === 'location') db.prepare('INSERT INTO geo_index (id, min_x, max_x, min_y, max_y) VALUES (?, ?, ?, 41, 41)').run(apk, 2 + k * 0.001, 2 + k * 0.001);
    }
  }
  db.close();
}

describe('broker schema migration 2', () => {
  it('keeps geo-queries, q ranges and type selections working on data written before it', async () => {
    writeFirstSchema();
    const store = new SqliteBrokerStore(file, 'migrate');
    const ids = async (q: Partial<Parameters<SqliteBrokerStore['queryEntities']>[1]>) =>
      (await store.queryEntities('', { expand, limit: 100, offset: 0, count: false, ...q })).entities.map((e) => e.id);
    // 0.001° of longitude at 41°N is about 84 m: within 200 m of entity 10 are 8..12.
    const geoQ = { ...parseGeoQuery({ georel: 'near;maxDistance==200', geometry: 'Point', coordinates: '[2.01,41]' })!, geoproperty: 'https://uri.etsi.org/ngsi-ld/location' };
    expect(await ids({ geoQ })).toEqual(['urn:e:8', 'urn:e:9', 'urn:e:10', 'urn:e:11', 'urn:e:12']);
    expect(await ids({ geoQ, entities: [{ typeSelection: parseTypeSelection('Sensor') }] })).toEqual(['urn:e:8', 'urn:e:10', 'urn:e:12']);
    expect(await ids({ q: parseQ('level>=3;level<6'), entities: [{ typeSelection: parseTypeSelection('Lamp') }] })).toEqual(['urn:e:3', 'urn:e:5']);
    // Writes after the migration are found the same way.
    await store.mutateEntity('', 'urn:e:9', (current) => ({ next: { ...current!, attrs: { ...current!.attrs, 'https://uri.etsi.org/ngsi-ld/location': [{ type: 'GeoProperty', value: { type: 'Point', coordinates: [3, 41] } }] } }, result: undefined }));
    expect(await ids({ geoQ })).toEqual(['urn:e:8', 'urn:e:10', 'urn:e:11', 'urn:e:12']);
    await store.close();
  });
});
