/**
 * The expression half of the SEL grammar (Java precedence: assignment, ?:, ||, &&, equality,
 * relational, additive, multiplicative, unary/cast, postfix), building the AST directly.
 * parser.ts extends it with statements and runs chevrotain's self-analysis.
 */
import { EmbeddedActionsParser, tokenMatcher, type IToken, type ParserMethod, type TokenType } from 'chevrotain';
import type { AssignOp, BinaryOp, CastType, Expr, Pos, Suffix } from './ast.js';
import { elementKind, errorMessageProvider, fail, literalValue, logical, pos, toTarget, type TypeRef } from './parse-support.js';
import * as T from './tokens.js';
import { isElemKind } from './values.js';

export class ExpressionParser extends EmbeddedActionsParser {
  constructor() {
    super(T.ALL_TOKENS, { maxLookahead: 4, errorMessageProvider });
  }

  /** Runs `fn` on `value` outside the recording phase (chevrotain's embedded-actions idiom). */
  protected act<A, R>(value: A, fn: (a: A) => R): R {
    return this.ACTION(() => fn(value));
  }

  readonly expression = this.RULE('expression', (): Expr => {
    const left = this.SUBRULE(this.conditional);
    let result = left;
    this.OPTION(() => {
      const op = this.CONSUME(T.AssignOperator);
      const value = this.SUBRULE(this.expression);
      this.ACTION(() => {
        result = { kind: 'assign', op: op.image as AssignOp, target: toTarget(left, op), value, ...pos(op) };
      });
    });
    return result;
  });

  private conditional = this.RULE('conditional', (): Expr => {
    const test = this.SUBRULE(this.logicalOr);
    let result = test;
    this.OPTION(() => {
      const q = this.CONSUME(T.Question);
      const then = this.SUBRULE(this.expression);
      this.CONSUME(T.Colon);
      const otherwise = this.SUBRULE2(this.expression);
      this.ACTION(() => {
        result = { kind: 'ternary', test, then, otherwise, ...pos(q) };
      });
    });
    return result;
  });

  private logicalOr = this.RULE('logicalOr', (): Expr => {
    const operands = [this.SUBRULE(this.logicalAnd)];
    let first: IToken | undefined;
    this.MANY(() => {
      const t = this.CONSUME(T.OrOr);
      first ??= t;
      operands.push(this.SUBRULE2(this.logicalAnd));
    });
    return this.ACTION(() => logical('||', operands, first));
  });

  private logicalAnd = this.RULE('logicalAnd', (): Expr => {
    const operands = [this.SUBRULE(this.equality)];
    let first: IToken | undefined;
    this.MANY(() => {
      const t = this.CONSUME(T.AndAnd);
      first ??= t;
      operands.push(this.SUBRULE2(this.equality));
    });
    return this.ACTION(() => logical('&&', operands, first));
  });

  private equality = this.binaryLevel('equality', T.EqualityOperator, () => this.relational);
  private relational = this.binaryLevel('relational', T.RelationalOperator, () => this.additive);
  private additive = this.binaryLevel('additive', T.AdditiveOperator, () => this.multiplicative);
  private multiplicative = this.binaryLevel('multiplicative', T.MultiplicativeOperator, () => this.unary);

  private binaryLevel(name: string, operator: TokenType, next: () => ParserMethod<[], Expr>): ParserMethod<[], Expr> {
    return this.RULE(name, (): Expr => {
      const first = this.SUBRULE(next());
      const ops: BinaryOp[] = [];
      const rest: Expr[] = [];
      const opPos: Pos[] = [];
      this.MANY(() => {
        const t = this.CONSUME(operator);
        const right = this.SUBRULE2(next());
        this.ACTION(() => {
          ops.push(t.image as BinaryOp);
          rest.push(right);
          opPos.push(pos(t));
        });
      });
      return this.ACTION((): Expr => (ops.length === 0 ? first : { kind: 'binary', first, ops, rest, opPos, line: first.line, column: first.column }));
    });
  }

  private unary = this.RULE('unary', (): Expr =>
    this.OR([
      {
        ALT: () => {
          const t = this.OR2([{ ALT: () => this.CONSUME(T.Bang) }, { ALT: () => this.CONSUME(T.AdditiveOperator) }]);
          const operand = this.SUBRULE(this.unary);
          return this.ACTION((): Expr => ({ kind: 'unary', op: t.image as '-' | '+' | '!', operand, ...pos(t) }));
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(T.IncDecOperator);
          const operand = this.SUBRULE2(this.unary);
          return this.ACTION((): Expr => ({ kind: 'update', op: t.image as '++' | '--', prefix: true, target: toTarget(operand, t), ...pos(t) }));
        },
      },
      {
        ALT: () => {
          const open = this.CONSUME(T.LParen);
          const type = this.CONSUME(T.PrimitiveType);
          this.CONSUME(T.RParen);
          const operand = this.SUBRULE3(this.unary);
          return this.ACTION((): Expr => ({ kind: 'cast', type: type.image as CastType, operand, ...pos(open) }));
        },
      },
      { ALT: () => this.SUBRULE(this.postfix) },
    ]),
  );

  private postfix = this.RULE('postfix', (): Expr => {
    const base = this.SUBRULE(this.primary);
    const suffixes: Suffix[] = [];
    this.MANY(() => {
      const s = this.SUBRULE(this.suffix);
      this.ACTION(() => suffixes.push(s));
    });
    let result: Expr = base;
    this.ACTION(() => {
      if (suffixes.length > 0) result = { kind: 'postfix', base, suffixes, line: base.line, column: base.column };
    });
    this.OPTION(() => {
      const t = this.CONSUME(T.IncDecOperator);
      this.ACTION(() => {
        result = { kind: 'update', op: t.image as '++' | '--', prefix: false, target: toTarget(result, t), ...pos(t) };
      });
    });
    return result;
  });

  private suffix = this.RULE('suffix', (): Suffix =>
    this.OR([
      {
        ALT: () => {
          const open = this.CONSUME(T.LBracket);
          const index = this.SUBRULE(this.expression);
          this.CONSUME(T.RBracket);
          return this.ACTION((): Suffix => ({ kind: 'index', index, ...pos(open) }));
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Dot);
          const id = this.CONSUME(T.Identifier);
          let args: Expr[] | undefined;
          this.OPTION(() => {
            args = this.SUBRULE(this.args);
          });
          return this.ACTION((): Suffix =>
            args === undefined ? { kind: 'field', name: id.image, ...pos(id) } : { kind: 'call', name: id.image, args, ...pos(id) },
          );
        },
      },
    ]),
  );

  private args = this.RULE('args', (): Expr[] => {
    this.CONSUME(T.LParen);
    let list: Expr[] = [];
    this.OPTION(() => {
      list = this.SUBRULE(this.expressionList);
    });
    this.CONSUME(T.RParen);
    return list;
  });

  private primary = this.RULE('primary', (): Expr =>
    this.OR([
      { ALT: () => this.SUBRULE(this.literal) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          const e = this.SUBRULE(this.expression);
          this.CONSUME(T.RParen);
          return e;
        },
      },
      { ALT: () => this.SUBRULE(this.allocation) },
      { ALT: () => this.act(this.CONSUME(T.Identifier), (t): Expr => ({ kind: 'name', name: t.image, ...pos(t) })) },
    ]),
  );

  private literal = this.RULE('literal', (): Expr => {
    const t = this.OR([
      { ALT: () => this.CONSUME(T.IntegerLiteral) },
      { ALT: () => this.CONSUME(T.FloatLiteral) },
      { ALT: () => this.CONSUME(T.StringLiteral) },
      { ALT: () => this.CONSUME(T.True) },
      { ALT: () => this.CONSUME(T.False) },
      { ALT: () => this.CONSUME(T.Null) },
    ]);
    return this.ACTION((): Expr => ({ kind: 'literal', value: literalValue(t), ...pos(t) }));
  });

  private allocation = this.RULE('allocation', (): Expr => {
    const kw = this.CONSUME(T.New);
    const type = this.OR([{ ALT: () => this.CONSUME(T.PrimitiveType) }, { ALT: () => this.CONSUME(T.Identifier) }]);
    return this.OR2([
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          return this.OR3([
            {
              ALT: () => {
                this.CONSUME(T.RBracket);
                const elemRef = this.ACTION(() => ({ kind: elementKind(type), ...pos(type) }));
                return this.SUBRULE(this.arrayInitializer, { ARGS: [elemRef] });
              },
            },
            {
              ALT: () => {
                const length = this.SUBRULE(this.expression);
                this.CONSUME2(T.RBracket);
                return this.ACTION((): Expr => ({ kind: 'newArray', elem: elementKind(type), length, ...pos(kw) }));
              },
            },
          ]);
        },
      },
      {
        ALT: () => {
          const args = this.SUBRULE(this.args);
          return this.ACTION((): Expr => {
            if (tokenMatcher(type, T.PrimitiveType)) fail(type, `cannot construct the primitive type ${type.image}`);
            return { kind: 'new', className: type.image, args, ...pos(kw) };
          });
        },
      },
    ]);
  });

  /** `{a, b, c}`; `type` is the array type being initialised (an element kind for `new T[]{...}`). */
  protected arrayInitializer = this.RULE('arrayInitializer', (type: TypeRef): Expr => {
    const open = this.CONSUME(T.LCurly);
    const items: Expr[] = [];
    this.OPTION(() => {
      items.push(this.SUBRULE(this.expression));
      this.MANY({
        GATE: () => !tokenMatcher(this.LA(2), T.RCurly),
        DEF: () => {
          this.CONSUME(T.Comma);
          items.push(this.SUBRULE2(this.expression));
        },
      });
    });
    this.OPTION2(() => this.CONSUME2(T.Comma));
    this.CONSUME(T.RCurly);
    return this.ACTION((): Expr => {
      const kind = type.kind;
      const elem = kind.endsWith('_ARRAY') ? kind.slice(0, -'_ARRAY'.length) : kind;
      if (!isElemKind(elem)) fail(open, `an array initializer needs an array type, not ${kind}`);
      return { kind: 'arrayLiteral', elem, items, ...pos(open) };
    });
  });

  protected expressionList = this.RULE('expressionList', (): Expr[] => {
    const list: Expr[] = [];
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () => {
        const e = this.SUBRULE(this.expression);
        this.ACTION(() => list.push(e));
      },
    });
    return list;
  });
}
