/**
 * Source text -> Program: Maestro's sanitising (a missing final `;` is added), the length and
 * nesting limits, lexing, parsing, and the names a script reads from its scope.
 */
import { EOF } from 'chevrotain';
import type { Expr, Pos, Program, Stmt, Suffix, Target } from './ast.js';
import { ExpressionError } from './errors.js';
import { limitMessage, type SelLimits } from './limits.js';
import { selParser } from './parser.js';
import * as T from './tokens.js';
import { STATIC_NAMES } from './library/registry.js';

export interface CompiledSel {
  readonly source: string;
  readonly program: Program;
  /**
   * Names the script reads from its scope (params), in order of first use; excludes locals it
   * assigns before reading, `params` and the built-in classes (Maestro's SelEvaluator.validate).
   */
  readonly references: readonly string[];
}

/** Maestro's ExprEvaluator.sanitize: SEL needs a final `;`, which definitions often omit. */
export function sanitize(source: string): string {
  const s = source.trim();
  if (s === '' || s.endsWith(';') || (!s.startsWith('{"') && s.endsWith('}'))) return s;
  return `${s};`;
}

export function compileSel(source: string, limits: SelLimits): CompiledSel {
  if (source.length > limits.sourceLength) {
    throw new ExpressionError(limitMessage('sourceLength', limits.sourceLength, source.length), 1, 1, { limit: 'sourceLength' });
  }
  const text = sanitize(source);
  const lexed = T.selLexer.tokenize(text);
  const [lexError] = lexed.errors;
  if (lexError) {
    const ch = text.charAt(lexError.offset);
    throw new ExpressionError(`unexpected character '${ch}'`, lexError.line ?? 1, lexError.column ?? 1);
  }
  checkNesting(lexed.tokens, limits);
  selParser.input = lexed.tokens;
  let body: Stmt[];
  try {
    body = selParser.script();
  } catch (e) {
    if (e instanceof ExpressionError) throw e;
    if (e instanceof RangeError) {
      throw new ExpressionError(limitMessage('stackDepth', limits.stackDepth), 1, 1, { limit: 'stackDepth', cause: e });
    }
    throw e;
  }
  const [parseError] = selParser.errors;
  if (parseError) {
    const t = parseError.token;
    const at = t.tokenType === EOF ? 'end of input' : `'${t.image}'`;
    const { line, column } = t.tokenType === EOF ? endOf(text) : { line: t.startLine ?? 1, column: t.startColumn ?? 1 };
    throw new ExpressionError(`syntax error at ${at}: ${parseError.message}`, line, column);
  }
  const program: Program = { body };
  return { source, program, references: analyze(program, limits) };
}

function endOf(text: string): { line: number; column: number } {
  const lines = text.split(/\r\n|\r|\n/);
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

/** Bracket nesting beyond stackDepth is refused before the recursive-descent parser sees it. */
function checkNesting(tokens: readonly { tokenType: unknown; startLine?: number; startColumn?: number }[], limits: SelLimits): void {
  let depth = 0;
  for (const t of tokens) {
    if (t.tokenType === T.LParen || t.tokenType === T.LBracket || t.tokenType === T.LCurly) {
      if (++depth > limits.stackDepth) {
        throw new ExpressionError(limitMessage('stackDepth', limits.stackDepth), t.startLine ?? 1, t.startColumn ?? 1, { limit: 'stackDepth' });
      }
    } else if (t.tokenType === T.RParen || t.tokenType === T.RBracket || t.tokenType === T.RCurly) {
      depth = Math.max(0, depth - 1);
    }
  }
}

/**
 * Enforces the nesting limit on the AST (the evaluator's recursion follows the AST, so this also
 * bounds evaluation depth) and returns the free names in order of first use (reads before any
 * assignment), as Maestro's validation visitor does.
 */
function analyze(program: Program, limits: SelLimits): string[] {
  let depth = 0;
  const enter = (node: Pos): void => {
    if (++depth > limits.stackDepth) {
      throw new ExpressionError(limitMessage('stackDepth', limits.stackDepth), node.line, node.column, { limit: 'stackDepth' });
    }
  };
  const assigned = new Set<string>();
  const found = new Set<string>();
  const read = (name: string): void => {
    if (!assigned.has(name) && !STATIC_NAMES.has(name)) found.add(name);
  };
  const target = (t: Target, reads: boolean): void => {
    if (t.kind === 'index') {
      expr(t.index);
      read(t.name);
    } else if (reads) read(t.name);
    else assigned.add(t.name);
  };
  const suffix = (s: Suffix): void => {
    if (s.kind === 'index') expr(s.index);
    else if (s.kind === 'call') s.args.forEach(expr);
  };
  const expr = (e: Expr): void => {
    enter(e);
    exprInner(e);
    depth--;
  };
  const exprInner = (e: Expr): void => {
    switch (e.kind) {
      case 'literal':
        return;
      case 'name':
        return read(e.name);
      case 'binary':
        expr(e.first);
        return e.rest.forEach(expr);
      case 'logical':
        return e.operands.forEach(expr);
      case 'unary':
      case 'cast':
        return expr(e.operand);
      case 'ternary':
        expr(e.test);
        expr(e.then);
        return expr(e.otherwise);
      case 'assign':
        expr(e.value);
        return target(e.target, e.op !== '=');
      case 'update':
        return target(e.target, true);
      case 'postfix':
        expr(e.base);
        return e.suffixes.forEach(suffix);
      case 'new':
        return e.args.forEach(expr);
      case 'newArray':
        return expr(e.length);
      case 'arrayLiteral':
        return e.items.forEach(expr);
    }
  };
  const stmt = (s: Stmt): void => {
    enter(s);
    stmtInner(s);
    depth--;
  };
  let loops = 0;
  const stmtInner = (s: Stmt): void => {
    switch (s.kind) {
      case 'block':
        return s.body.forEach(stmt);
      case 'expr':
        return expr(s.expr);
      case 'decl':
        for (const d of s.declarators) {
          if (d.init) expr(d.init);
          assigned.add(d.name);
        }
        return;
      case 'if':
        expr(s.test);
        stmt(s.then);
        if (s.otherwise) stmt(s.otherwise);
        return;
      case 'while':
        expr(s.test);
        loops++;
        stmt(s.body);
        loops--;
        return;
      case 'for':
        s.init.forEach(stmt);
        if (s.test) expr(s.test);
        s.update.forEach(expr);
        loops++;
        stmt(s.body);
        loops--;
        return;
      case 'return':
      case 'throw':
        return expr(s.value);
      case 'break':
      case 'continue':
        if (loops === 0) throw new ExpressionError(`${s.kind} outside of a loop`, s.line, s.column);
        return;
      case 'empty':
        return;
    }
  };
  program.body.forEach(stmt);
  return [...found];
}
