/**
 * The SEL abstract syntax tree produced by parser.ts and walked by the evaluator. Nodes are plain
 * immutable objects so one parsed script can be evaluated concurrently by many scopes.
 * Binary operators of one precedence level are kept as a flat left-associative chain so that a
 * long `a + b + c + ...` costs no recursion depth.
 */
import type { VarKind } from './values.js';

export interface Pos {
  line: number;
  column: number;
}

export type Literal = string | bigint | number | boolean | null;

export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '<' | '>' | '<=' | '>=' | '==' | '!=';
export type AssignOp = '=' | '+=' | '-=' | '*=' | '/=' | '%=';
export type CastType = 'int' | 'long' | 'float' | 'double' | 'boolean';

/** `x` or `x[i]`: the only assignable forms in SEL. */
export type Target =
  | ({ kind: 'var'; name: string } & Pos)
  | ({ kind: 'index'; name: string; index: Expr } & Pos);

export type Suffix =
  | ({ kind: 'index'; index: Expr } & Pos)
  | ({ kind: 'field'; name: string } & Pos)
  | ({ kind: 'call'; name: string; args: Expr[] } & Pos);

export type Expr =
  | ({ kind: 'literal'; value: Literal } & Pos)
  | ({ kind: 'name'; name: string } & Pos)
  | ({ kind: 'binary'; first: Expr; ops: BinaryOp[]; rest: Expr[]; opPos: Pos[] } & Pos)
  | ({ kind: 'logical'; op: '&&' | '||'; operands: Expr[] } & Pos)
  | ({ kind: 'unary'; op: '-' | '+' | '!'; operand: Expr } & Pos)
  | ({ kind: 'cast'; type: CastType; operand: Expr } & Pos)
  | ({ kind: 'ternary'; test: Expr; then: Expr; otherwise: Expr } & Pos)
  | ({ kind: 'assign'; op: AssignOp; target: Target; value: Expr } & Pos)
  | ({ kind: 'update'; op: '++' | '--'; prefix: boolean; target: Target } & Pos)
  | ({ kind: 'postfix'; base: Expr; suffixes: Suffix[] } & Pos)
  | ({ kind: 'new'; className: string; args: Expr[] } & Pos)
  | ({ kind: 'newArray'; elem: VarKind; length: Expr } & Pos)
  | ({ kind: 'arrayLiteral'; elem: VarKind; items: Expr[] } & Pos);

export interface Declarator extends Pos {
  name: string;
  init: Expr | undefined;
}

export type Stmt =
  | ({ kind: 'block'; body: Stmt[] } & Pos)
  | ({ kind: 'expr'; expr: Expr } & Pos)
  | ({ kind: 'decl'; varKind: VarKind; declarators: Declarator[] } & Pos)
  | ({ kind: 'if'; test: Expr; then: Stmt; otherwise: Stmt | undefined } & Pos)
  | ({ kind: 'while'; test: Expr; body: Stmt } & Pos)
  | ({ kind: 'for'; init: Stmt[]; test: Expr | undefined; update: Expr[]; body: Stmt } & Pos)
  | ({ kind: 'break' } & Pos)
  | ({ kind: 'continue' } & Pos)
  | ({ kind: 'return'; value: Expr } & Pos)
  | ({ kind: 'throw'; value: Expr } & Pos)
  | ({ kind: 'empty' } & Pos);

export interface Program {
  body: Stmt[];
}
