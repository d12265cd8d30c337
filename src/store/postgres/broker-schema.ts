/**
 * PostgreSQL + PostGIS schema of the broker's store (component 'broker', as on SQLite). Each entry
 * of the migration list is applied once, in order (migrate.ts); released entries are never edited.
 * Needs the extensions postgis and btree_gist (both shipped with PostgreSQL packages and managed
 * services; creating them may need a superuser, see docs/deployment.md).
 *
 * Same shape as the SQLite schema: a row per entity, per entity type, and per attribute instance
 * (its JSON verbatim, plus the columns q searches: the primary value as jsonb, its number / string
 * / instant), and the geometry of each GeoProperty instance in geo_index. Text that is compared or
 * sorted uses the "C" collation: code point order, whatever the database's default, as SQLite's
 * BINARY.
 */
import type { SchemaComponent } from './migrate.js';

export const BROKER_SCHEMA: SchemaComponent = {
  component: 'broker',
  migrations: [
    `
    CREATE EXTENSION IF NOT EXISTS postgis;
    CREATE EXTENSION IF NOT EXISTS btree_gist;

    CREATE TABLE tenants (
      name        text COLLATE "C" PRIMARY KEY,   -- '' is the default tenant
      created_at  text NOT NULL
    );

    -- Room in each page (fillfactor) lets updates that change no indexed column stay on their page.
    CREATE TABLE entities (
      pk          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      tenant      text COLLATE "C" NOT NULL,
      id          text COLLATE "C" NOT NULL,
      types       jsonb NOT NULL,                 -- array of expanded type IRIs, in order
      scopes      jsonb,                          -- array of scopes, or NULL
      created_at  text NOT NULL,
      modified_at text NOT NULL,
      UNIQUE (tenant, id)
    ) WITH (fillfactor = 90);

    CREATE TABLE entity_types (
      tenant      text COLLATE "C" NOT NULL,
      type        text COLLATE "C" NOT NULL,      -- expanded type IRI
      entity_pk   bigint NOT NULL,
      PRIMARY KEY (tenant, type, entity_pk)
    );
    CREATE INDEX entity_types_by_entity ON entity_types (entity_pk);

    -- One row per attribute instance (attribute name + datasetId).
    CREATE TABLE attributes (
      pk          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      entity_pk   bigint NOT NULL,
      name        text COLLATE "C" NOT NULL,      -- expanded attribute IRI
      dataset_id  text COLLATE "C" NOT NULL DEFAULT '',
      kind        text NOT NULL,                  -- Property, Relationship, GeoProperty, ...
      data        json NOT NULL,                  -- the whole AttrInstance, verbatim (expanded, normalized)
      value       jsonb,                          -- the primary value (value/object/languageMap/vocab/json/valueList/objectList)
      vnum        double precision,               -- primary value when it is a number (booleans: NULL)
      vstr        text COLLATE "C",               -- primary value when it is a string (or a DateTime literal's @value)
      vtime       double precision,               -- epoch ms when vstr is a date-time
      -- Arrays, objects, booleans (and null): q examines their jsonb, only for these rows.
      composite   boolean GENERATED ALWAYS AS (vnum IS NULL AND vstr IS NULL) STORED,
      UNIQUE (entity_pk, name, dataset_id)
    ) WITH (fillfactor = 90);
    CREATE INDEX attributes_by_name ON attributes (name, entity_pk);
    CREATE INDEX attributes_num ON attributes (name, vnum) INCLUDE (entity_pk) WHERE vnum IS NOT NULL;
    -- A prefix: B-tree entries have a size limit, strings do not (see q-sql.ts VSTR_PREFIX).
    CREATE INDEX attributes_str ON attributes (name, left(vstr, 128)) WHERE vstr IS NOT NULL;
    CREATE INDEX attributes_time ON attributes (name, vtime) INCLUDE (entity_pk) WHERE vtime IS NOT NULL;
    CREATE INDEX attributes_composite ON attributes (name, entity_pk) WHERE composite;
    -- Instances with a datasetId: the entities that have several instances of an attribute.
    CREATE INDEX attributes_datasets ON attributes (name, entity_pk) WHERE dataset_id <> '';
    -- Which attributes have composite values: without it the planner assumes every attribute has
    -- as many as the table has on average, and plans q terms on numbers as if they had too.
    CREATE STATISTICS attributes_shape (mcv) ON name, composite FROM attributes;

    -- The geometry of each GeoProperty instance, in a narrow table of its own (as SQLite's R-tree):
    -- a geo-query reads its candidates from a few pages instead of the attributes' wide rows.
    CREATE TABLE geo_index (
      attribute_pk bigint PRIMARY KEY,            -- attributes.pk
      entity_pk    bigint NOT NULL,
      name         text COLLATE "C" NOT NULL,     -- the attribute's name
      geom         geometry(Geometry, 4326) NOT NULL  -- the value, 2D
    );
    -- The name is part of the GiST key (btree_gist), so that the search box is one index scan.
    CREATE INDEX geo_index_box ON geo_index USING gist (name, geom);
    CREATE INDEX geo_index_by_entity ON geo_index (entity_pk, name);

    -- Broker queries are short and many: parallel workers cost more to start than they save.
    ALTER TABLE entities SET (parallel_workers = 0);
    ALTER TABLE entity_types SET (parallel_workers = 0);
    ALTER TABLE attributes SET (parallel_workers = 0);
    ALTER TABLE geo_index SET (parallel_workers = 0);

    CREATE TABLE jsonld_contexts (
      tenant      text COLLATE "C" NOT NULL,
      id          text COLLATE "C" NOT NULL,      -- local identifier
      url         text COLLATE "C" NOT NULL,      -- URL the context is served or known under
      kind        text NOT NULL,                  -- Hosted | Cached | ImplicitlyCreated
      body        text NOT NULL,                  -- JSON of the @context value
      created_at  text COLLATE "C" NOT NULL,
      last_usage  text,
      hits        integer NOT NULL DEFAULT 0,
      PRIMARY KEY (tenant, id)
    );
    CREATE UNIQUE INDEX jsonld_contexts_url ON jsonld_contexts (tenant, url);

    -- Epoch milliseconds of an NGSI-LD date-time string, else NULL: the definition of
    -- src/broker/values/validate.ts dateTimeMillis (no zone means UTC; the fraction is cut to
    -- milliseconds; a day past the month's end rolls over, as JavaScript's Date.parse does).
    CREATE FUNCTION ngsild_datetime_ms(s text) RETURNS double precision
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
    DECLARE
      m text[];
      y int;
      mo int;
      era int;
      yoe int;
      doe int;
      zone int := 0;
    BEGIN
      m := regexp_match(s, '^([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):([0-5][0-9])(:([0-5][0-9])(\\.([0-9]{1,9}))?)?(Z|([+-])([01][0-9]|2[0-3]):?([0-5][0-9]))?$');
      IF m IS NULL THEN
        RETURN NULL;
      END IF;
      -- Days since 1970-01-01 of the proleptic Gregorian date (H. Hinnant's days_from_civil).
      y := m[1]::int;
      mo := m[2]::int;
      IF mo <= 2 THEN
        y := y - 1;
      END IF;
      era := floor(y / 400.0)::int;
      yoe := y - era * 400;
      doe := yoe * 365 + yoe / 4 - yoe / 100 + (153 * (CASE WHEN mo > 2 THEN mo - 3 ELSE mo + 9 END) + 2) / 5 + m[3]::int - 1;
      IF m[11] IS NOT NULL THEN
        zone := (m[12]::int * 60 + m[13]::int) * (CASE WHEN m[11] = '-' THEN -1 ELSE 1 END);
      END IF;
      RETURN (era::bigint * 146097 + doe - 719468) * 86400000
        + m[4]::int * 3600000 + m[5]::int * 60000 + coalesce(m[7]::int, 0) * 1000
        + coalesce(rpad(left(m[9], 3), 3, '0')::int, 0) - zone::bigint * 60000;
    END
    $fn$;
    `,
  ],
};
