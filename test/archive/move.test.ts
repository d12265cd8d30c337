/**
 * Moving a whole instance with `urbis export` and `urbis import`: the demo city (entities, history,
 * a subscription with a queue, accounts, keys, the audit log, devices) leaves its SQLite file and
 * arrives in another database — PostgreSQL in the postgres run, a new SQLite file in the sqlite
 * run — with nothing lost: the archive exported again from the target has the same per-section
 * counts and digests. A damaged or truncated archive is refused before anything is written, and
 * so is a target that is not empty.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, testStore, type TestServer } from '../helpers/server.js';
import { BIN } from '../helpers/process.js';
import { freePort } from '../helpers/mosquitto.js';
import { sdmContext } from '../../src/simulator/scenarios.js';

interface Trailer {
  counts: Record<string, number>;
  digests: Record<string, string>;
  sha256: string;
}

const work = mkdtempSync(path.join(tmpdir(), 'urbis-archive-'));
const sourceDir = path.join(work, 'source');
const archive = path.join(work, 'city.urbis');

function urbis(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('node', [BIN, ...args], { env: { ...process.env, URBIS_STORE: '', URBIS_DATA_DIR: '' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

function trailerOf(file: string): Trailer {
  const lines = gunzipSync(readFileSync(file)).toString('utf8').trimEnd().split('\n');
  return JSON.parse(lines[lines.length - 1]) as Trailer;
}

/** `--store URL` for PostgreSQL, `--data-dir DIR` for SQLite. */
async function target(name: string): Promise<{ args: string[]; store: string; dir: string }> {
  const dir = path.join(work, name);
  const store = await testStore(dir);
  return { args: store ? ['--store', store] : ['--data-dir', dir], store, dir };
}

let source: Trailer;

beforeAll(async () => {
  // The demo city, with access control (accounts, the admin's key) and a subscription whose
  // receiver is down (its queue holds notifications), run for a few simulated minutes.
  const s: TestServer = await startServer({ store: '', dataDir: sourceDir, demo: true, demoRate: 120, mqtt: '', mqttPort: await freePort(), open: true });
  try {
    const sub = await s.request('POST', '/ngsi-ld/v1/subscriptions', {
      body: { id: 'urn:ngsi-ld:Subscription:down', type: 'Subscription', entities: [{ type: 'AirQualityObserved' }], notification: { endpoint: { uri: 'http://127.0.0.1:9/down' } }, '@context': sdmContext('Environment') },
      headers: { 'content-type': 'application/ld+json' },
    });
    expect(sub.status).toBe(201);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const h = await s.request('GET', '/ngsi-ld/v1/subscriptions/urn:ngsi-ld:Subscription:down');
      if ((h.json?.notification?.timesSent ?? 0) > 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 3000));
  } finally {
    await s.close();
  }
  const r = await urbis(['export', archive, '--data-dir', sourceDir]);
  expect(r.out).toMatch(/exported/);
  expect(r.code).toBe(0);
  source = trailerOf(archive);
}, 180_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('urbis export and urbis import', () => {
  it('move the demo city into a new database and lose nothing', async () => {
    for (const section of ['tenant', 'entity', 'temporalEntity', 'temporalInstances', 'subscription', 'audit', 'service', 'device']) {
      expect(source.counts[section], section).toBeGreaterThan(0);
    }
    expect(source.counts.entity).toBeGreaterThan(1900);
    const t = await target('target');
    const imported = await urbis(['import', archive, ...t.args]);
    expect(imported.out).toMatch(/restored/);
    expect(imported.code).toBe(0);
    const again = path.join(work, 'again.urbis');
    const exported = await urbis(['export', again, ...t.args]);
    expect(exported.code).toBe(0);
    const moved = trailerOf(again);
    expect(moved.counts).toEqual(source.counts);
    expect(moved.digests).toEqual(source.digests);

    // The target serves what the source had.
    const s = await startServer({ store: t.store, dataDir: t.dir, demo: false });
    try {
      const count = await s.request('GET', '/ngsi-ld/v1/entities?idPattern=.*&count=true&limit=1');
      expect(count.status).toBe(200);
      expect(Number(count.headers.get('ngsild-results-count'))).toBe(source.counts.entity);
      const verify = await urbis(['audit', 'verify', ...t.args]);
      expect(verify.out).toMatch(/audit log intact/);
    } finally {
      await s.close();
    }
  }, 120_000);

  it('refuses a truncated or damaged archive before writing anything', async () => {
    const bytes = gunzipSync(readFileSync(archive));
    const lines = bytes.toString('utf8').trimEnd().split('\n');
    const truncated = path.join(work, 'truncated.urbis');
    writeFileSync(truncated, gzipSync(lines.slice(0, -1).join('\n') + '\n'));
    const damaged = path.join(work, 'damaged.urbis');
    const mid = Math.floor(lines.length / 2);
    lines[mid] = lines[mid].replace(/"section":"(\w+)"/, '"section":"$1","tampered":true');
    writeFileSync(damaged, gzipSync(lines.join('\n') + '\n'));

    const t = await target('refused');
    const cut = await urbis(['import', truncated, ...t.args]);
    expect(cut.code).toBe(2);
    expect(cut.out).toMatch(/truncated/);
    const bad = await urbis(['import', damaged, ...t.args]);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/damaged/);
    // Nothing was written: the whole archive still restores into that database.
    const ok = await urbis(['import', archive, ...t.args]);
    expect(ok.code).toBe(0);
    // ...and a database that is not empty is refused.
    const twice = await urbis(['import', archive, ...t.args]);
    expect(twice.code).toBe(2);
    expect(twice.out).toMatch(/not empty/);
  }, 120_000);
});
