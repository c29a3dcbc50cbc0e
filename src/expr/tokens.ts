/**
 * SEL tokens (Maestro's sel.jjt lexical grammar): Java keywords, literals with single- or
 * double-quoted strings, Java comments, and the operators SEL supports. Reserved Java words that
 * SEL does not support (class, switch, try, ...) are lexed as keywords so they can never be used
 * as identifiers and produce a parse error naming them.
 */
import { createToken, Lexer, type TokenType } from 'chevrotain';

const LETTER = '$A-Za-z_\\u00c0-\\u00d6\\u00d8-\\u00f6\\u00f8-\\u1fff\\u3040-\\u318f\\u3300-\\u337f\\u3400-\\u3d2d\\u4e00-\\u9fff\\uf900-\\ufaff';
const DIGIT = '0-9\\u0660-\\u0669\\u06f0-\\u06f9\\u0966-\\u096f';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\n\r\f]+/, group: Lexer.SKIPPED });
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\n\r]*/, group: Lexer.SKIPPED });
export const BlockComment = createToken({
  name: 'BlockComment',
  pattern: /\/\*[\s\S]*?\*\//,
  group: Lexer.SKIPPED,
  line_breaks: true,
});

export const Identifier = createToken({
  name: 'Identifier',
  label: 'a name',
  pattern: new RegExp(`[${LETTER}][${LETTER}${DIGIT}]*`),
  start_chars_hint: ['$', '_', ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'],
});

function keyword(name: string, word: string, categories?: TokenType[]): TokenType {
  const pattern = new RegExp(`${word}\\b`);
  return createToken(categories ? { name, pattern, longer_alt: Identifier, categories } : { name, pattern, longer_alt: Identifier });
}

/** Category of the primitive type keywords (int, long, float, double, boolean). */
export const PrimitiveType = createToken({ name: 'PrimitiveType', pattern: Lexer.NA });
export const Reserved = createToken({ name: 'Reserved', pattern: Lexer.NA });

export const Boolean = keyword('Boolean', 'boolean', [PrimitiveType]);
export const Int = keyword('Int', 'int', [PrimitiveType]);
export const Long = keyword('Long', 'long', [PrimitiveType]);
export const Float = keyword('Float', 'float', [PrimitiveType]);
export const Double = keyword('Double', 'double', [PrimitiveType]);
export const Break = keyword('Break', 'break');
export const Continue = keyword('Continue', 'continue');
export const Else = keyword('Else', 'else');
export const False = keyword('False', 'false');
export const For = keyword('For', 'for');
export const If = keyword('If', 'if');
export const Import = keyword('Import', 'import');
export const New = keyword('New', 'new');
export const Null = keyword('Null', 'null');
export const Return = keyword('Return', 'return');
export const Static = keyword('Static', 'static');
export const Throw = keyword('Throw', 'throw');
export const True = keyword('True', 'true');
export const While = keyword('While', 'while');

const RESERVED_WORDS = [
  'abstract', 'byte', 'case', 'catch', 'char', 'class', 'const', 'default', 'do', 'extends',
  'final', 'finally', 'goto', 'implements', 'instanceof', 'interface', 'native', 'package',
  'private', 'protected', 'public', 'short', 'super', 'switch', 'synchronized', 'this', 'throws',
  'transient', 'try', 'void', 'volatile',
];
export const ReservedWord = createToken({
  name: 'ReservedWord',
  pattern: new RegExp(`(?:${RESERVED_WORDS.join('|')})\\b`),
  longer_alt: Identifier,
  categories: [Reserved],
});

export const FloatLiteral = createToken({
  name: 'FloatLiteral',
  pattern: /(?:[0-9]+\.[0-9]*(?:[eE][+-]?[0-9]+)?[fFdD]?|\.[0-9]+(?:[eE][+-]?[0-9]+)?[fFdD]?|[0-9]+[eE][+-]?[0-9]+[fFdD]?|[0-9]+[fFdD])/,
});
export const IntegerLiteral = createToken({
  name: 'IntegerLiteral',
  pattern: /(?:0[xX][0-9a-fA-F]+|[1-9][0-9]*|0[0-7]*)[lL]?/,
});
export const StringLiteral = createToken({
  name: 'StringLiteral',
  pattern: /"(?:[^"\\\n\r]|\\(?:[ntbrf\\'"]|[0-7]{1,3}|u+[0-9a-fA-F]{4}))*"|'(?:[^'\\\n\r]|\\(?:[ntbrf\\'"]|[0-7]{1,3}|u+[0-9a-fA-F]{4}))*'/,
});

export const AssignOperator = createToken({ name: 'AssignOperator', pattern: Lexer.NA });
export const EqualityOperator = createToken({ name: 'EqualityOperator', pattern: Lexer.NA });
export const RelationalOperator = createToken({ name: 'RelationalOperator', pattern: Lexer.NA });
export const AdditiveOperator = createToken({ name: 'AdditiveOperator', pattern: Lexer.NA });
export const MultiplicativeOperator = createToken({ name: 'MultiplicativeOperator', pattern: Lexer.NA });
export const IncDecOperator = createToken({ name: 'IncDecOperator', pattern: Lexer.NA });

const op = (name: string, pattern: string, categories?: TokenType[]): TokenType =>
  createToken(categories ? { name, pattern, categories, label: `'${pattern}'` } : { name, pattern, label: `'${pattern}'` });

export const PlusAssign = op('PlusAssign', '+=', [AssignOperator]);
export const MinusAssign = op('MinusAssign', '-=', [AssignOperator]);
export const StarAssign = op('StarAssign', '*=', [AssignOperator]);
export const SlashAssign = op('SlashAssign', '/=', [AssignOperator]);
export const PercentAssign = op('PercentAssign', '%=', [AssignOperator]);
export const Increment = op('Increment', '++', [IncDecOperator]);
export const Decrement = op('Decrement', '--', [IncDecOperator]);
export const AndAnd = op('AndAnd', '&&');
export const OrOr = op('OrOr', '||');
export const EqEq = op('EqEq', '==', [EqualityOperator]);
export const NotEq = op('NotEq', '!=', [EqualityOperator]);
export const LessEq = op('LessEq', '<=', [RelationalOperator]);
export const GreaterEq = op('GreaterEq', '>=', [RelationalOperator]);
export const Less = op('Less', '<', [RelationalOperator]);
export const Greater = op('Greater', '>', [RelationalOperator]);
export const Assign = op('Assign', '=', [AssignOperator]);
export const Bang = op('Bang', '!');
export const Plus = op('Plus', '+', [AdditiveOperator]);
export const Minus = op('Minus', '-', [AdditiveOperator]);
export const Star = op('Star', '*', [MultiplicativeOperator]);
export const Slash = op('Slash', '/', [MultiplicativeOperator]);
export const Percent = op('Percent', '%', [MultiplicativeOperator]);
export const Question = op('Question', '?');
export const Colon = op('Colon', ':');
export const LParen = op('LParen', '(');
export const RParen = op('RParen', ')');
export const LCurly = op('LCurly', '{');
export const RCurly = op('RCurly', '}');
export const LBracket = op('LBracket', '[');
export const RBracket = op('RBracket', ']');
export const Semicolon = op('Semicolon', ';');
export const Comma = op('Comma', ',');
export const Dot = op('Dot', '.');

/** Order matters: comments before `/`, longer operators before their prefixes, floats before ints. */
export const ALL_TOKENS: TokenType[] = [
  WhiteSpace, BlockComment, LineComment,
  PrimitiveType, Reserved, AssignOperator, EqualityOperator, RelationalOperator,
  AdditiveOperator, MultiplicativeOperator, IncDecOperator,
  Boolean, Int, Long, Float, Double, Break, Continue, Else, False, For, If, Import, New, Null,
  Return, Static, Throw, True, While, ReservedWord,
  Identifier,
  FloatLiteral, IntegerLiteral, StringLiteral,
  PlusAssign, MinusAssign, StarAssign, SlashAssign, PercentAssign, Increment, Decrement,
  AndAnd, OrOr, EqEq, NotEq, LessEq, GreaterEq, Less, Greater, Assign, Bang,
  Plus, Minus, Star, Slash, Percent, Question, Colon,
  LParen, RParen, LCurly, RCurly, LBracket, RBracket, Semicolon, Comma, Dot,
];

export const selLexer = new Lexer(ALL_TOKENS, { positionTracking: 'full', ensureOptimizations: false });
