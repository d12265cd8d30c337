/**
 * SQLite schema of the broker's store. Versioned: each entry of MIGRATIONS is applied once, in
 * order, and recorded in schema_migrations as component 'broker' (see database.ts). Other
 * features keep their own migration lists next to their stores.
 */
export const MIGRATIONS: string[] = [
  `
  CREATE TABLE tenants (
    name        TEXT PRIMARY KEY,          -- '' is the default tenant
    created_at  TEXT NOT NULL
  );
  CREATE TABLE entities (
    pk          INTEGER PRIMARY KEY,
    tenant      TEXT NOT NULL,
    id          TEXT NOT NULL,
    types       TEXT NOT NULL,             -- JSON array of expanded type IRIs
    scopes      TEXT,                      -- JSON array of scopes, or NULL
    created_at  TEXT NOT NULL,
    modified_at TEXT NOT NULL,
    UNIQUE (tenant, id)
  );
  CREATE TABLE entity_types (
    tenant      TEXT NOT NULL,
    type        TEXT NOT NULL,             -- expanded type IRI
    entity_pk   INTEGER NOT NULL,
    PRIMARY KEY (tenant, type, entity_pk)
  ) WITHOUT ROWID;
  CREATE INDEX entity_types_by_entity ON entity_types (entity_pk);
  -- One row per attribute instance (attribute name + datasetId).
  CREATE TABLE attributes (
    pk          INTEGER PRIMARY KEY,
    entity_pk   INTEGER NOT NULL,
    name        TEXT NOT NULL,             -- expanded attribute IRI
    dataset_id  TEXT NOT NULL DEFAULT '',  -- '' is the default instance
    kind        TEXT NOT NULL,             -- Property, Relationship, GeoProperty, ...
    data        TEXT NOT NULL,             -- JSON of the whole AttrInstance (expanded, normalized)
    value       TEXT,                      -- JSON of the primary value (value/object/languageMap/vocab/json/valueList/objectList)
    vnum        REAL,                      -- primary value when it is a number (booleans: NULL)
    vstr        TEXT,                      -- primary value when it is a string (Relationship object, vocab IRI...)
    vtime       REAL,                      -- epoch ms when the primary value is a date-time
    UNIQUE (entity_pk, name, dataset_id)
  );
  CREATE INDEX attributes_by_name ON attributes (name, entity_pk);
  CREATE INDEX attributes_num ON attributes (name, vnum) WHERE vnum IS NOT NULL;
  CREATE INDEX attributes_str ON attributes (name, vstr) WHERE vstr IS NOT NULL;
  CREATE INDEX attributes_time ON attributes (name, vtime) WHERE vtime IS NOT NULL;
  -- Arrays, objects and booleans: q falls back to their JSON, only for these rows.
  CREATE INDEX attributes_composite ON attributes (name, entity_pk) WHERE vnum IS NULL AND vstr IS NULL;
  -- Bounding boxes of GeoProperty instances; id = attributes.pk. Exact tests run on the geometry.
  -- (Migration 2 adds the entity, the attribute name and the geometry as auxiliary columns.)
  CREATE VIRTUAL TABLE geo_index USING rtree (id, min_x, max_x, min_y, max_y);
  CREATE TABLE jsonld_contexts (
    tenant      TEXT NOT NULL,
    id          TEXT NOT NULL,             -- local identifier
    url         TEXT NOT NULL,             -- URL the context is served or known under
    kind        TEXT NOT NULL,             -- Hosted | Cached | ImplicitlyCreated
    body        TEXT NOT NULL,             -- JSON of the @context value
    created_at  TEXT NOT NULL,
    last_usage  TEXT,
    hits        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, id)
  );
  CREATE UNIQUE INDEX jsonld_contexts_url ON jsonld_contexts (tenant, url);
  `,
  // Query performance (bench/profile/NOTES.md):
  // - the value indexes also carry the entity, so that a q term's range gives its entities
  //   without reading a row of the table;
  // - instances with a datasetId have their own index: which entities may hold several values
  //   of an attribute (q-sql.ts QDriver);
  // - the R-tree carries what a geo-query needs besides the box (the entity, the attribute name
  //   and the geometry), so that searching it reads nothing else.
  `
  DROP INDEX attributes_num;
  DROP INDEX attributes_str;
  DROP INDEX attributes_time;
  CREATE INDEX attributes_num ON attributes (name, vnum, entity_pk) WHERE vnum IS NOT NULL;
  CREATE INDEX attributes_str ON attributes (name, vstr, entity_pk) WHERE vstr IS NOT NULL;
  CREATE INDEX attributes_time ON attributes (name, vtime, entity_pk) WHERE vtime IS NOT NULL;
  CREATE INDEX attributes_datasets ON attributes (name, entity_pk) WHERE dataset_id <> '';
  CREATE VIRTUAL TABLE geo_shapes USING rtree (id, min_x, max_x, min_y, max_y, +entity_pk INTEGER, +name TEXT, +geometry TEXT);
  INSERT INTO geo_shapes (id, min_x, max_x, min_y, max_y, entity_pk, name, geometry)
    SELECT r.id, r.min_x, r.max_x, r.min_y, r.max_y, a.entity_pk, a.name, a.value FROM geo_index r JOIN attributes a ON a.pk = r.id;
  DROP TABLE geo_index;
  ALTER TABLE geo_shapes RENAME TO geo_index;
  `,
];
