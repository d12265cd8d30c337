/**
 * `urbis import FILE` as a real process (bin/urbis.js): CSV with a mapping file and GeoJSON, rows
 * rejected with their row numbers and reasons, exit codes 0 / 1 / 2, and the imported entities
 * readable through the API afterwards (in the PostgreSQL run, the command and the server work on the
 * data directory's database).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/process.js';
import { linkHeader, startServer, testStore } from '../helpers/server.js';

const PARKING = 'https://raw.githubusercontent.com/smart-data-models/dataModel.Parking/master/context.jsonld';
const dir = mkdtempSync(path.join(tmpdir(), 'urbis-import-'));
const dataDir = path.join(dir, 'data');
let store = '';
beforeAll(async () => {
  store = await testStore(dataDir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const urbis = (...args: string[]) => spawnSync('node', [BIN, 'import', ...args, '--data-dir', dataDir], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, URBIS_STORE: store } });

describe('urbis import', () => {
  it('imports CSV rows through a mapping and reports rejected rows with reasons (exit 1)', async () => {
    const csv = file('parkings.csv', ['code;name;spots;lat;lon', 'P1;"Central; Garage";120;40.42;-3.70', 'P2;Station;notanumber;40.41;-3.69', ';Nameless;10;40.40;-3.68', 'P4;River;80;95;-3.67', 'P5;Market;45;40.43;-3.71', ''].join('\n'));
    const mapping = file(
      'mapping.json',
      JSON.stringify({
        id: 'urn:ngsi-ld:OffStreetParking:{code}',
        type: 'OffStreetParking',
        context: PARKING,
        attributes: [
          { column: 'name', name: 'name', type: 'Text' },
          { column: 'spots', name: 'totalSpotNumber', type: 'Integer' },
        ],
        location: { lat: 'lat', lon: 'lon' },
      }),
    );
    const r = urbis(csv, '--mapping', mapping);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain('2 rows accepted, 3 rejected (of 5)');
    expect(r.stdout).toMatch(/row 2: column "spots": "notanumber" is not an integer/);
    expect(r.stdout).toMatch(/row 3: column "code" of the id is empty/);
    expect(r.stdout).toMatch(/row 4: location/);
    expect(r.stderr).toContain('imported 5/5 rows (100%)');

    const s = await startServer({ dataDir });
    try {
      const e = (await s.request('GET', '/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:P1', { headers: { Link: linkHeader(PARKING) } })).json;
      expect(e.name.value).toBe('Central; Garage');
      expect(e.totalSpotNumber.value).toBe(120);
      expect(e.location.value).toEqual({ type: 'Point', coordinates: [-3.7, 40.42] });
      expect((await s.request('GET', '/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:P2')).status).toBe(404);
    } finally {
      await s.urbis.close();
    }
  });

  it('imports GeoJSON features (exit 0 when all are accepted, 1 when one is not)', async () => {
    const features = (extra: unknown[] = []) =>
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          { type: 'Feature', id: 'bench-1', geometry: { type: 'Point', coordinates: [2.1, 41.4] }, properties: { material: 'wood', seats: 3 } },
          { type: 'Feature', geometry: { type: 'Point', coordinates: [2.2, 41.5] }, properties: { id: 'bench-2', material: 'steel' } },
          ...extra,
        ],
      });
    const ok = urbis(file('benches.geojson', features()), '--type', 'Bench');
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('2 rows accepted, 0 rejected (of 2)');
    const bad = urbis(file('benches2.geojson', features([{ type: 'Feature', id: 'bench-3', geometry: { type: 'Point', coordinates: [500, 41] }, properties: {} }])), '--type', 'Bench');
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/row 3: urn:ngsi-ld:Bench:bench-3: .*/);
    const s = await startServer({ dataDir });
    try {
      const e = (await s.request('GET', '/ngsi-ld/v1/entities/urn:ngsi-ld:Bench:bench-2')).json;
      expect(e.material.value).toBe('steel');
      expect(e.location.value).toEqual({ type: 'Point', coordinates: [2.2, 41.5] });
    } finally {
      await s.urbis.close();
    }
  });

  it('usage errors exit with 2', () => {
    expect(urbis().status).toBe(2);
    expect(urbis(file('x.csv', 'a,b\n1,2\n')).status).toBe(2);
    expect(urbis(file('x.txt', 'hello')).status).toBe(2);
    expect(urbis(file('y.csv', 'a\n1\n'), '--mapping', file('m.json', '{"type": "T"}')).status).toBe(2);
  });
});
