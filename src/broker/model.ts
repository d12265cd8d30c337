/**
 * The broker's internal entity model. Everything here is in *expanded* form: entity types,
 * attribute names and sub-attribute names are full IRIs; the JSON-LD layer compacts them again
 * for the response. Values of Property (and GeoProperty, JsonProperty, ListProperty) are kept
 * verbatim, including the keys of JSON-object values.
 */

export const ATTRIBUTE_KINDS = [
  'Property',
  'Relationship',
  'GeoProperty',
  'LanguageProperty',
  'VocabProperty',
  'JsonProperty',
  'ListProperty',
  'ListRelationship',
] as const;
export type AttributeKind = (typeof ATTRIBUTE_KINDS)[number];

/** One attribute instance (one datasetId of one attribute), normalized and expanded. */
export interface AttrInstance {
  type: AttributeKind;
  /** Property, GeoProperty. */
  value?: unknown;
  /** Relationship: a URI (or an array of URIs). */
  object?: string | string[];
  /** LanguageProperty. */
  languageMap?: Record<string, string | string[]>;
  /** VocabProperty: expanded IRIs. */
  vocab?: string | string[];
  /** JsonProperty. */
  json?: unknown;
  /** ListProperty. */
  valueList?: unknown[];
  /** ListRelationship: the related entity URIs, in order. */
  objectList?: string[];
  /** Relationship/ListRelationship: optional expanded type(s) of the target entity. */
  objectType?: string | string[];
  datasetId?: string;
  observedAt?: string;
  unitCode?: string;
  createdAt?: string;
  modifiedAt?: string;
  deletedAt?: string;
  /** Sub-attributes keyed by expanded name. */
  [subAttribute: string]: unknown;
}

/** An entity with its attributes; each attribute may have several instances (datasetIds). */
export interface Entity {
  id: string;
  /** Expanded entity type IRIs (at least one). */
  types: string[];
  scope?: string[];
  createdAt?: string;
  modifiedAt?: string;
  deletedAt?: string;
  /** Expanded attribute name -> instances (the default instance, without datasetId, first). */
  attrs: Record<string, AttrInstance[]>;
}

/** Members of an attribute that are not sub-attributes. */
export const ATTRIBUTE_MEMBERS = new Set([
  'type',
  'value',
  'object',
  'languageMap',
  'vocab',
  'json',
  'valueList',
  'objectList',
  'objectType',
  'datasetId',
  'observedAt',
  'unitCode',
  'createdAt',
  'modifiedAt',
  'deletedAt',
  'instanceId',
  'lang',
]);

/** The "primary value" of an attribute instance: what q compares against. */
export function primaryValue(a: AttrInstance): unknown {
  switch (a.type) {
    case 'Relationship':
      return a.object;
    case 'LanguageProperty':
      return a.languageMap;
    case 'VocabProperty':
      return a.vocab;
    case 'JsonProperty':
      return a.json;
    case 'ListProperty':
      return a.valueList;
    case 'ListRelationship':
      return a.objectList;
    default:
      return a.value;
  }
}
