/**
 * Errors of the SEL expression language. Every failure that leaves src/expr is an
 * ExpressionError: a parse error, a runtime error (type mismatch, unknown method, `throw "..."`),
 * or a sandbox limit. Each carries the 1-based line and column of the offending source position.
 */
import { MaestroError } from '../core/errors.js';
import type { SelLimitName } from './limits.js';

export class ExpressionError extends MaestroError {
  override name = 'ExpressionError';
  readonly line: number;
  readonly column: number;
  /** The sandbox limit that was exceeded, when that is the cause. */
  readonly limit: SelLimitName | undefined;
  /** True when the script itself raised the error with `throw "message"`. */
  readonly thrown: boolean;
  /** The message without the position suffix. */
  readonly detail: string;

  constructor(
    detail: string,
    line: number,
    column: number,
    options?: { cause?: unknown; limit?: SelLimitName; thrown?: boolean },
  ) {
    super('invalid_argument', `${detail} (at line ${line}, column ${column})`, { cause: options?.cause });
    this.detail = detail;
    this.line = line;
    this.column = column;
    this.limit = options?.limit;
    this.thrown = options?.thrown ?? false;
  }
}

/**
 * A failure raised by a library function or an operator, before the evaluator knows where in the
 * source it happened. The evaluator converts it into an ExpressionError at the current node.
 */
export class SelFault extends Error {
  override name = 'SelFault';
  readonly limit: SelLimitName | undefined;
  constructor(message: string, options?: { cause?: unknown; limit?: SelLimitName }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.limit = options?.limit;
  }
}
