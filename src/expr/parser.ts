/**
 * The SEL grammar (Maestro's sel.jjt, a subset of Java 1.1) as a chevrotain parser that builds
 * the AST directly; this file holds the statements, expression-parser.ts the expressions.
 * Departures from sel.jjt, all Java-compatible: `++`/`--`, casts to primitive types,
 * `int[] a = {1, 2}`, an empty statement `;`, and comma-separated for-init/update lists.
 *
 * The parser is a singleton; chevrotain parsers are reusable because setting `input` resets them,
 * and parsing is synchronous.
 */
import { tokenMatcher } from 'chevrotain';
import type { Declarator, Expr, Stmt } from './ast.js';
import { ExpressionParser } from './expression-parser.js';
import { fail, pos, type TypeRef } from './parse-support.js';
import * as T from './tokens.js';
import { declaredKind } from './values.js';

class SelParser extends ExpressionParser {
  constructor() {
    super();
    this.performSelfAnalysis();
  }

  private isDeclarationStart(): boolean {
    const t1 = this.LA(1);
    if (tokenMatcher(t1, T.PrimitiveType)) return true;
    if (!tokenMatcher(t1, T.Identifier)) return false;
    const t2 = this.LA(2);
    return tokenMatcher(t2, T.Identifier) || (tokenMatcher(t2, T.LBracket) && tokenMatcher(this.LA(3), T.RBracket));
  }

  script = this.RULE('script', (): Stmt[] => {
    const body: Stmt[] = [];
    this.MANY(() => this.SUBRULE(this.importDeclaration));
    this.MANY2(() => {
      const s = this.SUBRULE(this.blockStatement);
      this.ACTION(() => body.push(s));
    });
    return body;
  });

  /** `import a.b.C;` is accepted and ignored, as in Maestro: it never makes a class available. */
  private importDeclaration = this.RULE('importDeclaration', (): void => {
    this.CONSUME(T.Import);
    this.OPTION(() => this.CONSUME(T.Static));
    this.CONSUME(T.Identifier);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.OR([{ ALT: () => this.CONSUME2(T.Identifier) }, { ALT: () => this.CONSUME(T.Star) }]);
    });
    this.CONSUME(T.Semicolon);
  });

  private blockStatement = this.RULE('blockStatement', (): Stmt =>
    this.OR([
      {
        GATE: () => this.isDeclarationStart(),
        IGNORE_AMBIGUITIES: true,
        ALT: () => {
          const decl = this.SUBRULE(this.localVariableDeclaration);
          this.CONSUME(T.Semicolon);
          return decl;
        },
      },
      { ALT: () => this.SUBRULE(this.statement) },
    ]),
  );

  private localVariableDeclaration = this.RULE('localVariableDeclaration', (): Stmt => {
    const type = this.SUBRULE(this.type);
    const declarators: Declarator[] = [];
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () => {
        const d = this.SUBRULE(this.variableDeclarator, { ARGS: [type] });
        this.ACTION(() => declarators.push(d));
      },
    });
    return this.ACTION(() => ({ kind: 'decl', varKind: type.kind, declarators, line: type.line, column: type.column }));
  });

  private type = this.RULE('type', (): TypeRef => {
    const t = this.OR([{ ALT: () => this.CONSUME(T.PrimitiveType) }, { ALT: () => this.CONSUME(T.Identifier) }]);
    let array = false;
    this.OPTION(() => {
      this.CONSUME(T.LBracket);
      this.CONSUME(T.RBracket);
      array = true;
    });
    return this.ACTION(() => {
      const kind = declaredKind(t.image, array);
      if (kind === undefined) {
        fail(t, array ? `SEL does not support arrays of ${t.image}` : `SEL does not support the type ${t.image}`);
      }
      return { kind, ...pos(t) };
    });
  });

  private variableDeclarator = this.RULE('variableDeclarator', (type: TypeRef): Declarator => {
    const id = this.CONSUME(T.Identifier);
    let init: Expr | undefined;
    this.OPTION(() => {
      this.CONSUME(T.Assign);
      init = this.OR([
        { ALT: () => this.SUBRULE(this.arrayInitializer, { ARGS: [type] }) },
        { ALT: () => this.SUBRULE(this.expression) },
      ]);
    });
    return this.ACTION(() => ({ name: id.image, init, ...pos(id) }));
  });

  private statement = this.RULE('statement', (): Stmt =>
    this.OR([
      { ALT: () => this.SUBRULE(this.block) },
      { ALT: () => this.SUBRULE(this.ifStatement) },
      { ALT: () => this.SUBRULE(this.whileStatement) },
      { ALT: () => this.SUBRULE(this.forStatement) },
      { ALT: () => this.SUBRULE(this.jumpStatement) },
      { ALT: () => this.SUBRULE(this.expressionStatement) },
    ]),
  );

  private block = this.RULE('block', (): Stmt => {
    const open = this.CONSUME(T.LCurly);
    const body: Stmt[] = [];
    this.MANY(() => {
      const s = this.SUBRULE(this.blockStatement);
      this.ACTION(() => body.push(s));
    });
    this.CONSUME(T.RCurly);
    return this.ACTION(() => ({ kind: 'block', body, ...pos(open) }));
  });

  private ifStatement = this.RULE('ifStatement', (): Stmt => {
    const kw = this.CONSUME(T.If);
    this.CONSUME(T.LParen);
    const test = this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
    const then = this.SUBRULE(this.statement);
    let otherwise: Stmt | undefined;
    this.OPTION(() => {
      this.CONSUME(T.Else);
      otherwise = this.SUBRULE2(this.statement);
    });
    return this.ACTION(() => ({ kind: 'if', test, then, otherwise, ...pos(kw) }));
  });

  private whileStatement = this.RULE('whileStatement', (): Stmt => {
    const kw = this.CONSUME(T.While);
    this.CONSUME(T.LParen);
    const test = this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
    const body = this.SUBRULE(this.statement);
    return this.ACTION(() => ({ kind: 'while', test, body, ...pos(kw) }));
  });

  private forStatement = this.RULE('forStatement', (): Stmt => {
    const kw = this.CONSUME(T.For);
    this.CONSUME(T.LParen);
    let init: Stmt[] = [];
    let test: Expr | undefined;
    let update: Expr[] = [];
    this.OPTION(() => {
      init = this.SUBRULE(this.forInit);
    });
    this.CONSUME(T.Semicolon);
    this.OPTION2(() => {
      test = this.SUBRULE(this.expression);
    });
    this.CONSUME2(T.Semicolon);
    this.OPTION3(() => {
      update = this.SUBRULE(this.expressionList);
    });
    this.CONSUME(T.RParen);
    const body = this.SUBRULE(this.statement);
    return this.ACTION(() => ({ kind: 'for', init, test, update, body, ...pos(kw) }));
  });

  private forInit = this.RULE('forInit', (): Stmt[] =>
    this.OR([
      {
        GATE: () => this.isDeclarationStart(),
        IGNORE_AMBIGUITIES: true,
        ALT: () => {
          const decl = this.SUBRULE(this.localVariableDeclaration);
          return this.ACTION(() => [decl]);
        },
      },
      {
        ALT: () => {
          const exprs = this.SUBRULE(this.expressionList);
          return this.ACTION(() => exprs.map((expr): Stmt => ({ kind: 'expr', expr, line: expr.line, column: expr.column })));
        },
      },
    ]),
  );

  private jumpStatement = this.RULE('jumpStatement', (): Stmt => {
    const stmt = this.OR([
      { ALT: () => this.act(this.CONSUME(T.Break), (t): Stmt => ({ kind: 'break', ...pos(t) })) },
      { ALT: () => this.act(this.CONSUME(T.Continue), (t): Stmt => ({ kind: 'continue', ...pos(t) })) },
      {
        ALT: () => {
          const kw = this.CONSUME(T.Return);
          const value = this.SUBRULE(this.expression);
          return this.ACTION((): Stmt => ({ kind: 'return', value, ...pos(kw) }));
        },
      },
      {
        ALT: () => {
          const kw = this.CONSUME(T.Throw);
          const value = this.SUBRULE2(this.expression);
          return this.ACTION((): Stmt => ({ kind: 'throw', value, ...pos(kw) }));
        },
      },
    ]);
    this.CONSUME(T.Semicolon);
    return stmt;
  });

  private expressionStatement = this.RULE('expressionStatement', (): Stmt => {
    let expr: Expr | undefined;
    this.OPTION(() => {
      expr = this.SUBRULE(this.expression);
    });
    const semi = this.CONSUME(T.Semicolon);
    return this.ACTION((): Stmt =>
      expr === undefined ? { kind: 'empty', ...pos(semi) } : { kind: 'expr', expr, line: expr.line, column: expr.column },
    );
  });
}

export const selParser = new SelParser();
