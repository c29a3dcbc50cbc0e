/** Evaluation of SEL expressions (see operators.ts for the value semantics of each operator). */
import type { AssignOp, BinaryOp, Expr, Pos, Target } from './ast.js';
import { varKindOf, type Evaluation, type Variable } from './context.js';
import { SelFault } from './errors.js';
import { arrayIndex, newArray } from './library/collections.js';
import { getParam, PARAMS } from './library/params.js';
import { callMethod, construct, getField, staticValue } from './library/registry.js';
import { chargeArray, checkSize, MAP_ENTRY_BYTES } from './budget.js';
import { binary, cast, doubleToLong, unary } from './operators.js';
import { convertForAssign, isElemKind, SelArray, SelMap, typeNameOf, type SelValue, type VarKind } from './values.js';

export function evalExpr(ctx: Evaluation, e: Expr): SelValue {
  ctx.tick(e);
  switch (e.kind) {
    case 'literal':
      return e.value;
    case 'name':
      return ctx.read(e.name, e);
    case 'binary': {
      let acc = evalExpr(ctx, e.first);
      for (let i = 0; i < e.ops.length; i++) {
        const right = evalExpr(ctx, e.rest[i] as Expr);
        ctx.at = e.opPos[i] as Pos;
        acc = binary(e.ops[i] as BinaryOp, acc, right, ctx);
      }
      return acc;
    }
    case 'logical': {
      let v: SelValue = false;
      for (const operand of e.operands) {
        v = evalBoolean(ctx, operand, `operand of ${e.op}`);
        if (e.op === '&&' ? !v : v) return v;
      }
      return v;
    }
    case 'unary': {
      const v = evalExpr(ctx, e.operand);
      ctx.at = e;
      return unary(e.op, v);
    }
    case 'cast': {
      const v = evalExpr(ctx, e.operand);
      ctx.at = e;
      return cast(e.type, v);
    }
    case 'ternary':
      return evalBoolean(ctx, e.test, 'condition of ?:') ? evalExpr(ctx, e.then) : evalExpr(ctx, e.otherwise);
    case 'assign':
      return assign(ctx, e.target, e.op, e.value, e);
    case 'update':
      return update(ctx, e.target, e.op === '++' ? 1n : -1n, e.prefix, e);
    case 'postfix': {
      let v = evalExpr(ctx, e.base);
      for (const s of e.suffixes) {
        if (s.kind === 'index') {
          const index = evalExpr(ctx, s.index);
          ctx.at = s;
          v = indexValue(ctx, v, index);
        } else if (s.kind === 'field') {
          ctx.at = s;
          v = getField(ctx, v, s.name);
        } else {
          const args = s.args.map((a) => evalExpr(ctx, a));
          ctx.at = s;
          v = ctx.afterCall(callMethod(ctx, v, s.name, args));
        }
      }
      return v;
    }
    case 'new': {
      const args = e.args.map((a) => evalExpr(ctx, a));
      ctx.at = e;
      return ctx.afterCall(construct(ctx, e.className, args));
    }
    case 'newArray': {
      const length = evalExpr(ctx, e.length);
      ctx.at = e;
      if (!isElemKind(e.elem)) return ctx.fail(e, `cannot build an array of ${e.elem}`);
      return newArray(e.elem, length, ctx);
    }
    case 'arrayLiteral': {
      chargeArray(ctx, e.items.length);
      const elem = e.elem;
      if (!isElemKind(elem)) return ctx.fail(e, `cannot build an array of ${elem}`);
      const items = e.items.map((item, i) => {
        const v = evalExpr(ctx, item);
        ctx.at = item;
        return convertForAssign(elem, v, `array element ${i}`);
      });
      return new SelArray(elem, items);
    }
  }
}

export function evalBoolean(ctx: Evaluation, e: Expr, what: string): boolean {
  const v = evalExpr(ctx, e);
  if (typeof v !== 'boolean') ctx.fail(e, `the ${what} must be a boolean, got ${typeNameOf(v)}`);
  return v;
}

function indexValue(ctx: Evaluation, base: SelValue, index: SelValue): SelValue {
  if (base instanceof SelArray) return base.items[arrayIndex(base, index)] ?? null;
  if (base instanceof SelMap || base === PARAMS) {
    if (typeof index !== 'string') throw new SelFault(`a Map key must be a String, got ${typeNameOf(index)}`);
    return base === PARAMS ? getParam(ctx, index) : ((base as SelMap).entries.get(index) ?? null);
  }
  if (base === null) throw new SelFault('NullPointerException: cannot index into null');
  throw new SelFault(`cannot index into a ${typeNameOf(base)}`);
}

/** `x op= v` is `x = (T)(x op v)` (Java's implicit narrowing of compound assignment). */
function compound(op: AssignOp, kind: VarKind, current: SelValue, value: SelValue, ctx: Evaluation): SelValue {
  const result = binary(op.slice(0, 1) as '+', current, value, ctx);
  return kind === 'LONG' && typeof result === 'number' ? doubleToLong(result) : result;
}

function assign(ctx: Evaluation, target: Target, op: AssignOp, valueExpr: Expr, node: Pos): SelValue {
  if (target.kind === 'index') {
    const base = ctx.read(target.name, target);
    const index = evalExpr(ctx, target.index);
    const value = evalExpr(ctx, valueExpr);
    ctx.at = node;
    return storeElement(ctx, base, index, (current, kind) => (op === '=' ? value : compound(op, kind, current, value, ctx)));
  }
  let variable = ctx.vars.get(target.name);
  if (variable === undefined && op !== '=') variable = ctx.variable(target.name, target);
  const value = evalExpr(ctx, valueExpr);
  ctx.at = node;
  if (variable === undefined) {
    if (staticValue(target.name) !== undefined) ctx.fail(target, `${target.name} is a built-in and cannot be assigned`);
    variable = ctx.paramVariable(target.name);
    if (variable === undefined) {
      const created: Variable = { value: null, kind: varKindOf(value) };
      ctx.vars.set(target.name, created);
      variable = created;
    }
  }
  const next = op === '=' ? value : compound(op, variable.kind, variable.value, value, ctx);
  return store(variable, next, target.name);
}

function store(variable: Variable, value: SelValue, name: string): SelValue {
  const converted = convertForAssign(variable.kind, value, name);
  variable.value = converted;
  if (variable.kind === 'ANY') variable.kind = varKindOf(converted);
  return converted;
}

function storeElement(ctx: Evaluation, base: SelValue, index: SelValue, next: (current: SelValue, kind: VarKind) => SelValue): SelValue {
  if (base instanceof SelArray) {
    const i = arrayIndex(base, index);
    const v = convertForAssign(base.elem, next(base.items[i] ?? null, base.elem), `element ${i}`);
    base.items[i] = v;
    return v;
  }
  if (base instanceof SelMap) {
    if (typeof index !== 'string') throw new SelFault(`a Map key must be a String, got ${typeNameOf(index)}`);
    const v = next(base.entries.get(index) ?? null, 'ANY');
    if (!base.entries.has(index)) {
      checkSize(ctx.limits, 'arraySize', base.entries.size + 1);
      ctx.charge(MAP_ENTRY_BYTES);
    }
    base.entries.set(index, v);
    return v;
  }
  if (base === PARAMS) throw new SelFault('params is read-only: assign to a local variable instead');
  if (base === null) throw new SelFault('NullPointerException: cannot assign an element of null');
  throw new SelFault(`cannot assign an element of a ${typeNameOf(base)}`);
}

function increment(v: SelValue, delta: bigint): SelValue {
  if (typeof v === 'bigint') return BigInt.asIntN(64, v + delta);
  if (typeof v === 'number') return v + Number(delta);
  throw new SelFault(`operator ${delta > 0n ? '++' : '--'} cannot be applied to ${typeNameOf(v)}`);
}

function update(ctx: Evaluation, target: Target, delta: bigint, prefix: boolean, node: Pos): SelValue {
  let old: SelValue = null;
  let updated: SelValue;
  if (target.kind === 'index') {
    const base = ctx.read(target.name, target);
    const index = evalExpr(ctx, target.index);
    ctx.at = node;
    updated = storeElement(ctx, base, index, (current) => increment((old = current), delta));
  } else {
    const variable = ctx.variable(target.name, target);
    ctx.at = node;
    old = variable.value;
    updated = store(variable, increment(old, delta), target.name);
  }
  return prefix ? updated : old;
}
