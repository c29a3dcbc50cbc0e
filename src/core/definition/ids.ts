/**
 * Maestro's id and name rules (validations/MaestroIdConstraint, MaestroReferenceIdConstraint,
 * MaestroNameConstraint, MaestroNameSizeConstraint).
 */
import {
  ID_LENGTH_LIMIT,
  MAESTRO_PREFIX,
  MAESTRO_SUFFIX,
  NAME_LENGTH_LIMIT,
  RESERVED_PARAM_NAMES,
  STEP_PARAM_SEPARATOR,
} from './limits.js';
import { fail, readString } from './reader.js';

const WORKFLOW_ID = /^[_a-zA-Z0-9][.\-_a-zA-Z0-9]*$/;
const REFERENCE_ID = /^[_a-zA-Z][.\-_a-zA-Z0-9]*$/;
const NAME = /^[\w .,:@&='(){}$+[\]\-/\\]+$/;

function checkLength(s: string, limit: number, what: string, path: string): void {
  if (s.length > limit) fail(path, `${what} must be at most ${limit} characters, got ${s.length}`);
}

function checkPrefix(s: string, what: string, path: string): void {
  if (s.toLowerCase().startsWith(MAESTRO_PREFIX)) {
    fail(path, `${what} '${s}' must not start with the reserved prefix '${MAESTRO_PREFIX}'`);
  }
}

function checkSuffix(s: string, what: string, path: string): void {
  if (s.toLowerCase().endsWith(MAESTRO_SUFFIX)) {
    fail(path, `${what} '${s}' must not end with the reserved suffix '${MAESTRO_SUFFIX}'`);
  }
}

/** A workflow id: letters, digits, `.`, `-`, `_`, not starting with `.` or `-`. */
export function readWorkflowId(v: unknown, path: string): string {
  const id = readString(v, path);
  if (id === '') fail(path, 'workflow id must not be empty');
  checkLength(id, ID_LENGTH_LIMIT, 'workflow id', path);
  if (!WORKFLOW_ID.test(id)) {
    fail(path, `workflow id '${id}' may only contain letters, digits, '.', '-' and '_', and must not start with '.' or '-'`);
  }
  checkPrefix(id, 'workflow id', path);
  checkSuffix(id, 'workflow id', path);
  return id;
}

/** A step id or a param name: starts with a letter or `_`; no `__`; no `maestro_` prefix. */
export function checkReferenceId(id: string, what: string, path: string): string {
  if (id === '') fail(path, `${what} must not be empty`);
  checkLength(id, ID_LENGTH_LIMIT, what, path);
  if (!REFERENCE_ID.test(id)) {
    fail(
      path,
      `${what} '${id}' must start with a letter or '_' and contain only letters, digits, '.', '-' and '_'`,
    );
  }
  if (id.includes(STEP_PARAM_SEPARATOR)) {
    fail(path, `${what} '${id}' must not contain the step param separator '${STEP_PARAM_SEPARATOR}'`);
  }
  checkPrefix(id, what, path);
  return id;
}

export function readStepId(v: unknown, path: string): string {
  return checkReferenceId(readString(v, path), 'step id', path);
}

export function checkParamName(name: string, path: string): void {
  checkReferenceId(name, 'param name', path);
  if (RESERVED_PARAM_NAMES.includes(name)) fail(path, `param name '${name}' is reserved by Maestro`);
}

/** A display name (workflow or step name): only its length is limited. */
export function readNameSize(v: unknown, path: string): string {
  const s = readString(v, path);
  checkLength(s, NAME_LENGTH_LIMIT, 'name', path);
  return s;
}

/** A tag name: word characters, spaces and `.,:@&='(){}$+[]-/\`; not blank. */
export function checkTagName(name: string, path: string): string {
  if (name.trim() === '') fail(path, 'tag name must not be blank');
  checkLength(name, NAME_LENGTH_LIMIT, 'tag name', path);
  if (!NAME.test(name)) {
    fail(path, `tag name '${name}' may only contain letters, digits, '_', spaces and .,:@&='(){}$+[]-/\\`);
  }
  checkPrefix(name, 'tag name', path);
  checkSuffix(name, 'tag name', path);
  return name;
}
