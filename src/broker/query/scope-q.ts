/**
 * Parser of scopeQ (ETSI GS CIM 009 clause 4.19), the scope selection of queries:
 *
 * ```
 * ScopeQ      = Conjunction *(("|" / ",") Conjunction) ; either
 * Conjunction = Factor *(";" Factor)                    ; all of them
 * Factor      = "(" ScopeQ ")" / Scope
 * Scope       = 1*("/" Segment) ["/#"] / "/#"
 * Segment     = "+" / 1*SegmentChar                    ; "+": exactly one arbitrary level
 * ```
 *
 * `/Madrid/Gardens` selects that exact scope, `/Madrid/#` Madrid and all its descendants, `/#`
 * any scope at all (entities without scope never match), `/Madrid/+/Park` one arbitrary level in
 * between. Segment characters are anything except `/ # + , ; | ( ) "` and whitespace. Limits and
 * error reporting are those of parseLogical.
 */
import { parseLogical, type Logical, type SyntaxReader } from './q-parser.js';

/** One scope pattern. */
export interface ScopeTerm {
  kind: 'scope';
  /** Path segments after the leading `/`, `'+'` standing for any one segment; empty for `/#`. */
  segments: string[];
  /** True for a trailing `/#`: the scope itself and all its descendants. */
  descendants: boolean;
}

/** A parsed scopeQ. */
export type ScopeQuery = Logical<ScopeTerm>;

/** The one-level wildcard segment. */
export const ANY_SEGMENT = '+';

const isSegmentChar = (c: string) => c !== '' && !/[\s/#+,;|()"]/.test(c);

/** Parses a scopeQ; throws BadRequestData (syntax) or TooComplexQuery (size, nesting). */
export function parseScopeQ(scopeQ: string, where = 'scopeQ'): ScopeQuery {
  return parseLogical(scopeQ, where, { orOperators: '|,', leafName: 'a scope', parseLeaf: parseScope });
}

function parseScope(r: SyntaxReader): ScopeTerm {
  const segments: string[] = [];
  if (r.peek() !== '/') throw r.unexpected(`a scope starting with '/'`);
  while (r.peek() === '/') {
    r.pos++;
    if (r.peek() === '#') {
      r.pos++;
      if (r.peek() === '/' || r.peek() === '+' || r.peek() === '#' || isSegmentChar(r.peek())) {
        throw r.error(`'#' may only end a scope`, r.pos - 1);
      }
      return { kind: 'scope', segments, descendants: true };
    }
    const at = r.pos;
    const segment = r.peek() === ANY_SEGMENT ? (r.pos++, ANY_SEGMENT) : r.takeWhile(isSegmentChar);
    if (segment === '') throw r.unexpected('a scope segment');
    if (segment === ANY_SEGMENT && isSegmentChar(r.peek())) throw r.error(`'+' must be a whole scope segment`, at);
    segments.push(segment);
  }
  return { kind: 'scope', segments, descendants: false };
}
