/**
 * Reads the small files security settings name (PEM keys and certificates, token lists) once,
 * at start-up, failing with a CredentialFileError that names the setting and the path. The
 * contents are never part of an error message.
 */
import { readFileSync } from 'node:fs';
import { CredentialFileError } from './errors.js';

/** The file's bytes; `what` names it in errors ("gRPC TLS certificate", "etcd TLS CA"...). */
export function readCredentialFile(path: string, what: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (cause) {
    throw new CredentialFileError(what, path, { cause });
  }
  if (data.length === 0) throw new CredentialFileError(what, path, { problem: 'the file is empty' });
  return data;
}
