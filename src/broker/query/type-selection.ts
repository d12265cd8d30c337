/**
 * Parser of the entity type selection language (ETSI GS CIM 009 clause 4.17), the `type`
 * parameter of queries and subscriptions:
 *
 * ```
 * Selection = Conjunction *(("|" / ",") Conjunction)   ; "," is the same as "|": either type
 * Conjunction = Factor *(";" Factor)                  ; the entity has all these types
 * Factor    = "(" Selection ")" / EntityType
 * ```
 *
 * `;` binds tighter than `|`/`,` (`A;B|C` is `(A;B)|C`). An entity type is any run of characters
 * other than `,` `;` `|` `(` `)` `"` and whitespace (a short name or a full IRI), to be expanded
 * with the @context by the caller. Limits and error reporting are those of parseLogical.
 */
import { parseLogical, type Logical, type SyntaxReader } from './q-parser.js';

/** One entity type of a selection, as written. */
export interface TypeTerm {
  kind: 'type';
  name: string;
}

/** A parsed entity type selection. */
export type TypeSelection = Logical<TypeTerm>;

const isTypeChar = (c: string) => c !== '' && !/[\s,;|()"]/.test(c);

/** Parses a type selection; throws BadRequestData (syntax) or TooComplexQuery (size, nesting). */
export function parseTypeSelection(selection: string, where = 'type'): TypeSelection {
  return parseLogical(selection, where, {
    orOperators: '|,',
    leafName: 'an entity type',
    parseLeaf: (r: SyntaxReader): TypeTerm => {
      const name = r.takeWhile(isTypeChar);
      if (name === '') throw r.unexpected('an entity type');
      return { kind: 'type', name };
    },
  });
}
