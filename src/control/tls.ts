/**
 * TLS credentials of the gRPC server and client, from PEM files (read once, at start).
 * Server: certificate + key; with a client CA, every client must present a certificate that CA
 * signed (mTLS), checked in the handshake. Client: trusts `caFile` (else the system's roots) and
 * presents `certFile`/`keyFile` when the server asks for a client certificate.
 */
import * as grpc from '@grpc/grpc-js';
import { ValidationError } from '../core/errors.js';
import { readCredentialFile } from '../storage/credential-file.js';

export interface ServerTlsOptions {
  certFile: string;
  keyFile: string;
  /** Require client certificates signed by this CA (mTLS). */
  clientCaFile?: string;
}

/** An empty object means TLS with the system's root CAs and no client certificate. */
export interface ClientTlsOptions {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export function serverCredentials(tls: ServerTlsOptions | undefined): grpc.ServerCredentials {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  if (!tls.certFile || !tls.keyFile) throw new ValidationError('grpcTls', 'TLS needs both a certificate and a key file');
  const ca = tls.clientCaFile === undefined ? null : readCredentialFile(tls.clientCaFile, 'gRPC TLS client CA');
  const pair = { cert_chain: readCredentialFile(tls.certFile, 'gRPC TLS certificate'), private_key: readCredentialFile(tls.keyFile, 'gRPC TLS key') };
  return grpc.ServerCredentials.createSsl(ca, [pair], ca !== null);
}

export function channelCredentials(tls: ClientTlsOptions | undefined): grpc.ChannelCredentials {
  if (tls === undefined) return grpc.credentials.createInsecure();
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new ValidationError('tls', 'a client certificate needs both a certificate file and a key file');
  }
  return grpc.credentials.createSsl(
    tls.caFile === undefined ? null : readCredentialFile(tls.caFile, 'TLS CA'),
    tls.keyFile === undefined ? null : readCredentialFile(tls.keyFile, 'TLS client key'),
    tls.certFile === undefined ? null : readCredentialFile(tls.certFile, 'TLS client certificate'),
  );
}
