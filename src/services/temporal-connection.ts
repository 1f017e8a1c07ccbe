import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { Config } from '../config/index.ts';
import { ServiceError } from './errors.ts';

/** What both SDK connections (the client's Connection and the worker's NativeConnection) take to reach Temporal. */
export interface TemporalConnectOptions {
  address: string;
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

function readPem(file: string, variable: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ServiceError('temporal_tls_files', `${variable}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/**
 * Connection options from the configuration: TLS when TEMPORAL_TLS is true, a TLS file or server name is set, or an
 * API key is (Temporal Cloud requires TLS with keys); TEMPORAL_TLS=false keeps a plaintext connection even with a key.
 */
export function temporalConnectOptions(
  config: Pick<
    Config,
    'TEMPORAL_API_KEY' | 'TEMPORAL_TLS' | 'TEMPORAL_TLS_SERVER_CA_CERT_PATH' | 'TEMPORAL_TLS_CLIENT_CERT_PATH' | 'TEMPORAL_TLS_CLIENT_KEY_PATH' | 'TEMPORAL_TLS_SERVER_NAME'
  >,
  address: string,
): TemporalConnectOptions {
  const options: TemporalConnectOptions = { address };
  if (config.TEMPORAL_API_KEY) options.apiKey = config.TEMPORAL_API_KEY;
  const tls: TLSConfig = {};
  if (config.TEMPORAL_TLS_SERVER_CA_CERT_PATH) tls.serverRootCACertificate = readPem(config.TEMPORAL_TLS_SERVER_CA_CERT_PATH, 'TEMPORAL_TLS_SERVER_CA_CERT_PATH');
  if (config.TEMPORAL_TLS_CLIENT_CERT_PATH && config.TEMPORAL_TLS_CLIENT_KEY_PATH) {
    tls.clientCertPair = {
      crt: readPem(config.TEMPORAL_TLS_CLIENT_CERT_PATH, 'TEMPORAL_TLS_CLIENT_CERT_PATH'),
      key: readPem(config.TEMPORAL_TLS_CLIENT_KEY_PATH, 'TEMPORAL_TLS_CLIENT_KEY_PATH'),
    };
  }
  if (config.TEMPORAL_TLS_SERVER_NAME) tls.serverNameOverride = config.TEMPORAL_TLS_SERVER_NAME;
  const wantsTls = config.TEMPORAL_TLS ?? (Object.keys(tls).length > 0 || options.apiKey !== undefined);
  if (wantsTls) options.tls = Object.keys(tls).length > 0 ? tls : true;
  return options;
}

/** A plain connection to a local dev server (the one claimdesk starts itself, or the tests'). */
export function plainConnectOptions(address: string): TemporalConnectOptions {
  return { address };
}
