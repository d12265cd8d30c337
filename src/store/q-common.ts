/**
 * Pieces of the q compilers that do not depend on the SQL dialect, shared by the SQLite and the
 * PostgreSQL store.
 */
import type { ElementaryTest, QValue } from '../broker/query/q-parser.js';

/** Expands a term of the q language to an IRI. */
export type TermExpander = (term: string) => string;

/** The instant of a date-time or date bound (undefined for other values or no bound). */
export function msOf(v: QValue | undefined): number | undefined {
  return v !== undefined && 'ms' in v ? v.ms : undefined;
}

/** Expanded forms worth comparing to VocabProperty values (string/URI equality only). */
export function vocabForms(test: ElementaryTest, expandAttr: TermExpander): string[] {
  if (test.op !== '=' || (test.value.type !== 'string' && test.value.type !== 'uri')) return [];
  const expanded = expandAttr(test.value.value);
  return expanded === test.value.value ? [] : [expanded];
}

/** The literal text an anchored regular expression starts with ("^urn:ngsi-ld:Bus:.*" → "urn:ngsi-ld:Bus:"). */
export function literalPrefix(pattern: string): string {
  // A top-level alternation ("^a|b") would make any prefix wrong: keep it simple and give up.
  if (!pattern.startsWith('^') || pattern.includes('|')) return '';
  let out = '';
  for (let i = 1; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      const nx = pattern[i + 1];
      if (nx !== undefined && /[.\\/:\-_^$*+?()[\]{}|]/.test(nx)) {
        out += nx;
        i++;
        continue;
      }
      break;
    }
    if (/[.*+?()[\]{}|$^]/.test(ch)) {
      // A quantifier applies to the previous character, which is then not certain.
      if (/[*+?{]/.test(ch)) out = out.slice(0, -1);
      break;
    }
    out += ch;
  }
  return out;
}
