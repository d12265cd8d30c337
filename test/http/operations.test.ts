/**
 * Running Urbis: the `urbis` command, its configuration, health and readiness, persistence across
 * restarts, and a graceful stop on SIGTERM.
 */
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import pg from 'pg';
import { API, onPostgres, startServer, testStore } from '../helpers/server.js';
import { BIN, startUrbisProcess, type UrbisProcess } from '../helpers/process.js';


describe('configuration', () => {
  it('takes flags over environment variables over defaults', () => {
    const env = { URBIS_PORT: '2000', URBIS_LOG_LEVEL: 'warn', URBIS_DATA_DIR: '/tmp/from-env' };
    const c = resolveConfig({ '--port': '3000' }, env);
    expect(c.port).toBe(3000);
    expect(c.logLevel).toBe('warn');
    expect(c.dataDir).toBe('/tmp/from-env');
    expect(c.host).toBe('0.0.0.0');
    expect(c.maxBody).toBe(1024 * 1024);
    expect(resolveConfig({ '--max-body': '512kb' }, {}).maxBody).toBe(512 * 1024);
  });

  it('names the setting at fault', () => {
    expect(() => resolveConfig({}, { URBIS_PORT: 'http' })).toThrow(/URBIS_PORT/);
    expect(() => resolveConfig({ '--log-level': 'loud' }, {})).toThrow(/--log-level/);
    expect(() => resolveConfig({ '--max-body': 'big' }, {})).toThrow(/--max-body/);
    expect(() => resolveConfig({ '--map-tiles': 'https://tiles.example.org/tile.png' }, {})).toThrow(/--map-tiles/);
    expect(resolveConfig({ '--map-tiles': 'https://tiles.example.org/{z}/{x}/{y}.png' }, {}).mapTiles).toBe('https://tiles.example.org/{z}/{x}/{y}.png');
  });
});

describe('the urbis command', () => {
  it('lists its options with --help', () => {
    const r = spawnSync('node', [BIN, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const word of ['start', '--host', '--port', '--data-dir', '--max-body', '--log-level', 'URBIS_PORT', 'URBIS_DATA_DIR']) {
      expect(r.stdout).toContain(word);
    }
  });

  it('refuses unknown options and commands', () => {
    const opt = spawnSync('node', [BIN, 'start', '--colour', 'red'], { encoding: 'utf8' });
    expect(opt.status).toBe(2);
    expect(opt.stderr).toContain('--colour');
    expect(spawnSync('node', [BIN, 'fly'], { encoding: 'utf8' }).status).toBe(2);
  });

  describe('a running server', () => {
    let dir: string;
    let proc: UrbisProcess;
    let base: string;
    let logs = '';

    const start = async (): Promise<void> => {
      proc = await startUrbisProcess(dir);
      base = proc.base;
    };

    const stop = async (): Promise<number | null> => {
      const code = await proc.stop();
      logs = proc.logs();
      return code;
    };

    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'urbis-cli-'));
    });
    afterAll(() => {
      if (proc && proc.child.exitCode === null) proc.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    it('serves, keeps data in <data-dir>/urbis.db (or in PostgreSQL), and stops cleanly on SIGTERM', async () => {
      await start();
      // On PostgreSQL the data directory holds no database.
      expect(existsSync(path.join(dir, 'urbis.db'))).toBe(!onPostgres);
      expect((await (await fetch(`${base}/health`)).json()).status).toBe('ok');
      expect((await fetch(`${base}/ready`)).status).toBe(200);
      const created = await fetch(`${base}${API}/entities`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'urn:ngsi-ld:Thing:kept', type: 'Thing', n: 1 }),
      });
      expect(created.status).toBe(201);
      if (onPostgres) {
        const db = new pg.Client({ connectionString: await testStore(dir) });
        await db.connect();
        try {
          expect((await db.query('SELECT id FROM entities')).rows).toEqual([{ id: 'urn:ngsi-ld:Thing:kept' }]);
        } finally {
          await db.end();
        }
      }
      expect(await stop()).toBe(0);
      // Logs are JSON lines.
      expect(() => JSON.parse(logs.split('\n').find((l) => l.includes('listening'))!)).not.toThrow();
      expect(logs).toContain('stopped');
    }, 60_000);

    it('still has an acknowledged write after a restart', async () => {
      await start();
      const got = await fetch(`${base}${API}/entities/urn:ngsi-ld:Thing:kept?options=keyValues`);
      expect(await got.json()).toEqual({ id: 'urn:ngsi-ld:Thing:kept', type: 'Thing', n: 1 });
      expect(await stop()).toBe(0);
    }, 60_000);

    it('finishes a request in flight before stopping', async () => {
      await start();
      const body = JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ id: `urn:ngsi-ld:Thing:b${i}`, type: 'Thing', n: i })));
      const url = new URL(`${base}${API}/entityOperations/create`);
      // Send half the body, stop the server while the request is in flight, then send the rest.
      const res = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(
          { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
          (r) => {
            let text = '';
            r.on('data', (d: Buffer) => (text += d.toString()));
            r.on('end', () => resolve({ status: r.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, body.length / 2));
        setTimeout(() => {
          code = stop();
          setTimeout(() => req.end(body.slice(body.length / 2)), 300);
        }, 300);
      });
      let code: Promise<number | null> = Promise.resolve(null);
      const done = await res;
      expect(done.status, done.body).toBe(201);
      expect(JSON.parse(done.body)).toHaveLength(200);
      expect(await code).toBe(0);
    }, 60_000);
  });
});

describe('health and readiness', () => {
  it('answers /health and /ready, and an unknown path with a ProblemDetails 404', async () => {
    const s = await startServer();
    try {
      expect((await s.request('GET', '/health')).json).toMatchObject({ status: 'ok' });
      expect((await s.request('GET', '/ready')).json).toEqual({ status: 'ready' });
      const missing = await s.request('GET', `${API}/nothing-here`);
      expect(missing.status).toBe(404);
      expect(missing.json.type).toBe('https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound');
    } finally {
      await s.close();
    }
  });
});
