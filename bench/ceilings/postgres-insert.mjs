/**
 * The storage ceilings of the PostgreSQL store: raw inserts of the rows P1pg writes (one row per
 * attribute of the same city entities, as the store's attribute table holds them: entity id,
 * expanded attribute name, kind, the attribute's JSON, its primary value as jsonb, its number,
 * string or instant) into a table shaped like that table (unique (entity, name, datasetId), plus
 * (name, vnum) and (name, vstr) indexes like the q indexes), in 1,000-row transactions, with the
 * server's durability settings (each COMMIT waits for its WAL flush). Two ways:
 * - COPY: `COPY ... FROM STDIN` run by psql from a generated script (the rows inline after each
 *   COPY command). psql's own \timing of each statement is summed: starting psql and writing the
 *   script are not timed. This is the ceiling P1pg is a ratio to.
 * - unnest: `INSERT ... SELECT * FROM unnest($1::text[], ...)` through the pg package, 1,000 rows
 *   a statement: the fastest way a Node.js program has without a COPY stream (extra detail).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { attributesOf, entity } from '../lib/city.mjs';
import { psql } from '../lib/postgres.mjs';

const ROWS_PER_TRANSACTION = 1000;
const DEFAULT_CONTEXT = 'https://uri.etsi.org/ngsi-ld/default-context/';
const CORE_TERMS = { location: 'https://uri.etsi.org/ngsi-ld/location' };
const COLUMNS = ['entity', 'name', 'kind', 'data', 'value', 'vnum', 'vstr', 'vtime'];
const TYPES = ['text', 'text', 'text', 'json', 'jsonb', 'float8', 'text', 'float8'];

const table = (name) => `
  CREATE TABLE ${name} (
    pk          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    entity      text COLLATE "C" NOT NULL,
    name        text COLLATE "C" NOT NULL,
    dataset_id  text COLLATE "C" NOT NULL DEFAULT '',
    kind        text NOT NULL,
    data        json NOT NULL,
    value       jsonb,
    vnum        double precision,
    vstr        text COLLATE "C",
    vtime       double precision,
    UNIQUE (entity, name, dataset_id)
  );
  CREATE INDEX ${name}_num ON ${name} (name, vnum) WHERE vnum IS NOT NULL;
  CREATE INDEX ${name}_str ON ${name} (name, vstr) WHERE vstr IS NOT NULL;`;

/** The attribute rows of entity i: [entity, name, kind, data, value, vnum, vstr, vtime]. */
function rowsOf(i) {
  const e = entity(i);
  return attributesOf(e).map(([term, a]) => {
    const v = a.value;
    const instant = v !== null && typeof v === 'object' && v['@type'] === 'DateTime' ? v['@value'] : null;
    return [
      e.id,
      CORE_TERMS[term] ?? DEFAULT_CONTEXT + term,
      a.type,
      JSON.stringify(a),
      JSON.stringify(v),
      typeof v === 'number' ? v : null,
      typeof v === 'string' ? v : instant,
      instant === null ? null : Date.parse(instant),
    ];
  });
}

/** Calls flush(rows) with the rows of entities 0..entities-1, 1,000 at a time. */
async function inChunks(entities, flush, onProgress) {
  let rows = [];
  for (let i = 0; i < entities; i++) {
    for (const r of rowsOf(i)) {
      rows.push(r);
      if (rows.length === ROWS_PER_TRANSACTION) {
        await flush(rows);
        rows = [];
      }
    }
    if (i % 1000 === 0) onProgress?.(i);
  }
  if (rows.length > 0) await flush(rows);
}

/** A value in COPY's text format. */
const copyText = (v) => (v === null ? '\\N' : String(v).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r'));

/** COPY of the rows of entities 0..entities-1 into a new table of the database at url (a script in dir); rows/s. */
export async function copyCeiling(url, dir, entities, onProgress) {
  psql(url, ['-c', table('copy_rows')]);
  const file = path.join(dir, 'copy.sql');
  const fd = openSync(file, 'w');
  let total = 0;
  try {
    writeSync(fd, '\\timing on\n');
    await inChunks(
      entities,
      (rows) => {
        const data = rows.map((r) => r.map(copyText).join('\t')).join('\n');
        writeSync(fd, `BEGIN;\nCOPY copy_rows (${COLUMNS.join(', ')}) FROM STDIN;\n${data}\n\\.\nCOMMIT;\n`);
        total += rows.length;
      },
      onProgress,
    );
  } finally {
    closeSync(fd);
  }
  const out = psql(url, ['-f', file]);
  const ms = [...out.matchAll(/^Time: ([\d.]+) ms/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
  const copied = Number(psql(url, ['-t', '-A', '-c', 'SELECT count(*) FROM copy_rows']).trim());
  if (copied !== total) throw new Error(`COPY ceiling: ${copied} rows copied of ${total}`);
  return { rows: total, seconds: ms / 1000, rowsPerSecond: total / (ms / 1000) };
}

/** INSERT ... SELECT FROM unnest(...) of the same rows into a new table of the database at url; rows/s. */
export async function unnestCeiling(url, entities, onProgress) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(table('unnest_rows'));
    const insert = `INSERT INTO unnest_rows (${COLUMNS.join(', ')}) SELECT * FROM unnest(${TYPES.map((t, k) => `$${k + 1}::${t}[]`).join(', ')})`;
    let total = 0;
    let ms = 0;
    await inChunks(
      entities,
      async (rows) => {
        const columns = COLUMNS.map((_, k) => rows.map((r) => r[k]));
        const t0 = performance.now();
        await client.query('BEGIN');
        await client.query(insert, columns);
        await client.query('COMMIT');
        ms += performance.now() - t0;
        total += rows.length;
      },
      onProgress,
    );
    return { rows: total, seconds: ms / 1000, rowsPerSecond: total / (ms / 1000) };
  } finally {
    await client.end();
  }
}
