/**
 * Shared pieces of the SEL parser: token positions, AST builders that validate as they build
 * (literals, assignment targets), and short syntax-error messages.
 */
import { EOF, tokenLabel, tokenMatcher, type IParserErrorMessageProvider, type IToken } from 'chevrotain';
import type { Expr, Literal, Pos, Target } from './ast.js';
import { ExpressionError } from './errors.js';
import { floatLiteral, integerLiteral, stringLiteral } from './literals.js';
import * as T from './tokens.js';
import { declaredKind, isElemKind, type VarKind } from './values.js';

export const pos = (t: IToken): Pos => ({ line: t.startLine ?? 1, column: t.startColumn ?? 1 });

export function fail(t: IToken, message: string): never {
  throw new ExpressionError(message, t.startLine ?? 1, t.startColumn ?? 1);
}

export interface TypeRef extends Pos {
  kind: VarKind;
}

const WHAT: Record<string, string> = {
  script: 'a statement',
  blockStatement: 'a statement',
  statement: 'a statement',
  expressionStatement: 'an expression',
  jumpStatement: 'a statement',
  forInit: 'a for-loop initialiser',
  importDeclaration: 'an import',
  type: 'a type',
  suffix: 'a field, method call or index',
  allocation: 'a type to construct',
};

const shown = (tokens: IToken[]): string =>
  tokens.filter((t) => t.tokenType !== EOF).map((t) => t.image).join(' ') || 'the end of the expression';

/** Short messages instead of chevrotain's lists of every possible token sequence. */
export const errorMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, actual }) => `expected ${tokenLabel(expected)} but found ${shown([actual])}`,
  buildNotAllInputParsedMessage: ({ firstRedundant }) =>
    tokenMatcher(firstRedundant, T.Reserved)
      ? `'${firstRedundant.image}' is a Java keyword SEL does not support`
      : `unexpected ${shown([firstRedundant])}`,
  buildNoViableAltMessage: ({ actual, ruleName }) =>
    `cannot read '${shown(actual.flat().slice(0, 3))}' as ${WHAT[ruleName] ?? 'an expression'}`,
  buildEarlyExitMessage: ({ actual, ruleName }) => `expected ${WHAT[ruleName] ?? 'an expression'} but found ${shown(actual)}`,
};

export function elementKind(t: IToken): VarKind {
  const kind = declaredKind(t.image, false);
  if (kind === undefined || !isElemKind(kind)) fail(t, `SEL does not support arrays of ${t.image}`);
  return kind;
}

export function literalValue(t: IToken): Literal {
  switch (t.tokenType) {
    case T.IntegerLiteral: {
      const v = integerLiteral(t.image);
      if (v === undefined) fail(t, `integer literal ${t.image} is too large for a long`);
      return v;
    }
    case T.FloatLiteral:
      return floatLiteral(t.image);
    case T.StringLiteral:
      return stringLiteral(t.image);
    case T.True:
      return true;
    case T.False:
      return false;
    default:
      return null;
  }
}

export function logical(op: '&&' | '||', operands: Expr[], first: IToken | undefined): Expr {
  const [head] = operands;
  if (operands.length === 1 && head !== undefined) return head;
  return { kind: 'logical', op, operands, ...(first ? pos(first) : { line: 1, column: 1 }) };
}

/** SEL (like sel.jjt) can assign only to a variable or to an element `name[index]`. */
export function toTarget(e: Expr, op: IToken): Target {
  if (e.kind === 'name') return { kind: 'var', name: e.name, line: e.line, column: e.column };
  if (e.kind === 'postfix' && e.base.kind === 'name' && e.suffixes.length === 1) {
    const [s] = e.suffixes;
    if (s?.kind === 'index') return { kind: 'index', name: e.base.name, index: s.index, line: e.line, column: e.column };
  }
  fail(op, `the left side of ${op.image} must be a variable or an array element (name[index])`);
}
