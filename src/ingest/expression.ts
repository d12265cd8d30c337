/**
 * A small, safe arithmetic language for unit conversion in attribute mappings (no eval, no
 * Function): numbers, variables (the measures of the message, optionally written `@t` as in the
 * IoT Agent's legacy `${@t * 1.8 + 32}` form), + - * / % ^, parentheses, and the functions
 * min, max, abs, round, floor, ceil, sqrt. An expression is compiled once, when it is provisioned.
 */

export type Expr =
  | { k: 'num'; v: number }
  | { k: 'var'; name: string }
  | { k: 'neg'; e: Expr }
  | { k: 'bin'; op: '+' | '-' | '*' | '/' | '%' | '^'; a: Expr; b: Expr }
  | { k: 'call'; fn: string; args: Expr[] };

export class ExpressionError extends Error {}

const MAX_LENGTH = 500;
const MAX_DEPTH = 32;

const FUNCTIONS: Record<string, { arity: [number, number]; fn: (...a: number[]) => number }> = {
  min: { arity: [1, 16], fn: Math.min },
  max: { arity: [1, 16], fn: Math.max },
  abs: { arity: [1, 1], fn: Math.abs },
  floor: { arity: [1, 1], fn: Math.floor },
  ceil: { arity: [1, 1], fn: Math.ceil },
  sqrt: { arity: [1, 1], fn: Math.sqrt },
  round: {
    arity: [1, 2],
    fn: (x, digits = 0) => {
      const f = 10 ** Math.max(0, Math.min(10, Math.trunc(digits)));
      return Math.round(x * f) / f;
    },
  },
};

type Token = { t: 'num'; v: number } | { t: 'id'; v: string } | { t: 'op'; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|(@?[A-Za-z_][A-Za-z0-9_]*)|([-+*/%^(),]))/y;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) throw new ExpressionError(`unexpected character ${JSON.stringify(src.slice(pos).trim()[0])} at position ${pos + 1}`);
    if (m[1] !== undefined) out.push({ t: 'num', v: Number(m[1]) });
    else if (m[2] !== undefined) out.push({ t: 'id', v: m[2].replace(/^@/, '') });
    else out.push({ t: 'op', v: m[3] });
    pos = re.lastIndex;
  }
  return out;
}

/** Compiles an expression; throws ExpressionError naming what is wrong. */
export function compileExpression(source: string): Expr {
  if (source.length > MAX_LENGTH) throw new ExpressionError(`the expression is longer than ${MAX_LENGTH} characters`);
  const legacy = /^\s*\$\{(.*)\}\s*$/s.exec(source);
  const tokens = tokenize(legacy ? legacy[1] : source);
  if (tokens.length === 0) throw new ExpressionError('the expression is empty');
  let i = 0;
  const peek = () => tokens[i];
  const isOp = (v: string) => peek()?.t === 'op' && peek().v === v;
  const expect = (v: string) => {
    if (!isOp(v)) throw new ExpressionError(`expected "${v}" ${peek() ? `before "${peek().v}"` : 'at the end'}`);
    i++;
  };
  const depthGuard = (d: number) => {
    if (d > MAX_DEPTH) throw new ExpressionError(`the expression nests deeper than ${MAX_DEPTH} levels`);
  };
  const sum = (d: number): Expr => {
    let a = product(d);
    while (isOp('+') || isOp('-')) {
      const op = tokens[i++].v as '+' | '-';
      a = { k: 'bin', op, a, b: product(d) };
    }
    return a;
  };
  const product = (d: number): Expr => {
    let a = unary(d);
    while (isOp('*') || isOp('/') || isOp('%')) {
      const op = tokens[i++].v as '*' | '/' | '%';
      a = { k: 'bin', op, a, b: unary(d) };
    }
    return a;
  };
  const unary = (d: number): Expr => {
    depthGuard(d);
    if (isOp('-')) {
      i++;
      return { k: 'neg', e: unary(d + 1) };
    }
    if (isOp('+')) {
      i++;
      return unary(d + 1);
    }
    const base = primary(d);
    if (isOp('^')) {
      i++;
      return { k: 'bin', op: '^', a: base, b: unary(d + 1) };
    }
    return base;
  };
  const primary = (d: number): Expr => {
    const tok = tokens[i++];
    if (!tok) throw new ExpressionError('the expression ends too early');
    if (tok.t === 'num') return { k: 'num', v: tok.v };
    if (tok.t === 'id') {
      if (!isOp('(')) return { k: 'var', name: tok.v };
      const f = FUNCTIONS[tok.v];
      if (!f) throw new ExpressionError(`unknown function "${tok.v}" (known: ${Object.keys(FUNCTIONS).join(', ')})`);
      i++;
      const args: Expr[] = [];
      if (!isOp(')')) {
        args.push(sum(d + 1));
        while (isOp(',')) {
          i++;
          args.push(sum(d + 1));
        }
      }
      expect(')');
      if (args.length < f.arity[0] || args.length > f.arity[1]) throw new ExpressionError(`${tok.v}() takes ${f.arity[0]}${f.arity[1] > f.arity[0] ? ` to ${f.arity[1]}` : ''} arguments, got ${args.length}`);
      return { k: 'call', fn: tok.v, args };
    }
    if (tok.v === '(') {
      depthGuard(d + 1);
      const e = sum(d + 1);
      expect(')');
      return e;
    }
    throw new ExpressionError(`unexpected "${tok.v}"`);
  };
  const e = sum(0);
  if (i < tokens.length) throw new ExpressionError(`unexpected "${tokens[i].v}" after the end of the expression`);
  return e;
}

/** The variables an expression reads. */
export function variablesOf(e: Expr, out = new Set<string>()): Set<string> {
  if (e.k === 'var') out.add(e.name);
  else if (e.k === 'neg') variablesOf(e.e, out);
  else if (e.k === 'bin') {
    variablesOf(e.a, out);
    variablesOf(e.b, out);
  } else if (e.k === 'call') for (const a of e.args) variablesOf(a, out);
  return out;
}

/** Evaluates with numeric variables; throws ExpressionError for a missing variable or a non-finite result. */
export function evaluate(e: Expr, vars: (name: string) => number | undefined): number {
  const run = (x: Expr): number => {
    switch (x.k) {
      case 'num':
        return x.v;
      case 'var': {
        const v = vars(x.name);
        if (v === undefined) throw new ExpressionError(`the expression needs the numeric measure "${x.name}", which the message does not carry`);
        return v;
      }
      case 'neg':
        return -run(x.e);
      case 'call':
        return FUNCTIONS[x.fn].fn(...x.args.map(run));
      case 'bin': {
        const a = run(x.a);
        const b = run(x.b);
        switch (x.op) {
          case '+':
            return a + b;
          case '-':
            return a - b;
          case '*':
            return a * b;
          case '/':
            return a / b;
          case '%':
            return a % b;
          case '^':
            return a ** b;
        }
      }
    }
  };
  const result = run(e);
  if (!Number.isFinite(result)) throw new ExpressionError(`the expression gives ${result} (division by zero or overflow)`);
  return result;
}
