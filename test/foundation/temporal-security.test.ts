import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { parseConfig, ConfigError } from '../../src/config/index.ts';
import { ServiceError } from '../../src/services/errors.ts';
import { checkSearchAttributes, connectionAnswers } from '../../src/services/temporal.ts';
import { temporalConnectOptions } from '../../src/services/temporal-connection.ts';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../src/domain/search-attributes.ts';

const ATTRS = Object.keys(CUSTOM_SEARCH_ATTRIBUTES);

/** A CA, a server certificate for temporal.test and a client certificate, made with openssl for this run only. */
function makeCertificates(dir: string): Record<'ca' | 'serverKey' | 'serverCert' | 'clientKey' | 'clientCert', string> {
  const file = (name: string) => path.join(dir, name);
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=claimdesk test CA');
  writeFileSync(file('server.ext'), 'subjectAltName=DNS:temporal.test\nextendedKeyUsage=serverAuth\n');
  writeFileSync(file('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    run('req', ...ec, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who === 'server' ? 'temporal.test' : 'claimdesk-worker'}`);
    run('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '2', '-extfile', `${who}.ext`);
  }
  return { ca: file('ca.pem'), serverKey: file('server.key'), serverCert: file('server.pem'), clientKey: file('client.key'), clientCert: file('client.pem') };
}

describe('Temporal connection settings from the environment', () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  let proxy: tls.Server;
  let proxyAddress: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'claimdesk-tls-'));
    certs = makeCertificates(dir);
    // The dev server cannot serve TLS: this proxy terminates mTLS (client certificate required) and forwards the
    // decrypted HTTP/2 to it, as a TLS-terminating load balancer in front of a cluster would.
    const [host, port] = inject('temporalAddress').split(':') as [string, string];
    proxy = tls.createServer(
      { key: readFileSync(certs.serverKey), cert: readFileSync(certs.serverCert), ca: readFileSync(certs.ca), requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] },
      (socket) => {
        const upstream = net.connect(Number(port), host);
        socket.pipe(upstream).pipe(socket);
        const close = () => {
          socket.destroy();
          upstream.destroy();
        };
        socket.on('error', close);
        upstream.on('error', close);
      },
    );
    proxy.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyAddress = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds plain, API-key and mTLS options from the envconfig variables', () => {
    expect(temporalConnectOptions(parseConfig({}), 'temporal:7233')).toEqual({ address: 'temporal:7233' });
    // An API key (Temporal Cloud) turns TLS on unless TEMPORAL_TLS says otherwise.
    expect(temporalConnectOptions(parseConfig({ TEMPORAL_API_KEY: 'key-1' }), 'ns.tmprl.cloud:7233')).toEqual({ address: 'ns.tmprl.cloud:7233', apiKey: 'key-1', tls: true });
    expect(temporalConnectOptions(parseConfig({ TEMPORAL_API_KEY: 'key-1', TEMPORAL_TLS: 'false' }), 'a:1')).toEqual({ address: 'a:1', apiKey: 'key-1' });
    expect(temporalConnectOptions(parseConfig({ TEMPORAL_TLS: 'true' }), 'a:1')).toEqual({ address: 'a:1', tls: true });
    const mtls = temporalConnectOptions(
      parseConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca, TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert, TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey, TEMPORAL_TLS_SERVER_NAME: 'temporal.test' }),
      'a:1',
    );
    expect(mtls.tls).toEqual({
      serverRootCACertificate: readFileSync(certs.ca),
      clientCertPair: { crt: readFileSync(certs.clientCert), key: readFileSync(certs.clientKey) },
      serverNameOverride: 'temporal.test',
    });
  });

  it('refuses half an mTLS pair, TLS files with TEMPORAL_TLS=false, and unreadable files, naming the variable', () => {
    expect(() => parseConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert })).toThrow(/TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/);
    expect(() => parseConfig({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca })).toThrow(ConfigError);
    const missing = path.join(dir, 'nope.pem');
    const err = (() => {
      try {
        temporalConnectOptions(parseConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: missing }), 'a:1');
        return null;
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as Error).message).toContain('TEMPORAL_TLS_SERVER_CA_CERT_PATH');
  });

  it('connects over mTLS, client and worker connections alike, and fails without the client certificate or TLS', async () => {
    const env = { TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca, TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert, TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey, TEMPORAL_TLS_SERVER_NAME: 'temporal.test' };
    const options = temporalConnectOptions(parseConfig(env), proxyAddress);
    expect(await connectionAnswers(options)).toBe(true);
    const client = await Connection.connect(options);
    expect((await client.workflowService.getSystemInfo({})).serverVersion).toBeTruthy();
    await client.close();
    const native = await NativeConnection.connect(options);
    expect((await native.workflowService.getSystemInfo({})).serverVersion).toBeTruthy();
    await native.close();

    const noClientCert = temporalConnectOptions(parseConfig({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca, TEMPORAL_TLS_SERVER_NAME: 'temporal.test' }), proxyAddress);
    expect(await connectionAnswers(noClientCert)).toBe(false);
    expect(await connectionAnswers({ address: proxyAddress })).toBe(false);
    // A server certificate from another CA is refused: the system CAs do not know the test CA.
    expect(await connectionAnswers(temporalConnectOptions(parseConfig({ TEMPORAL_TLS: 'true', TEMPORAL_TLS_SERVER_NAME: 'temporal.test' }), proxyAddress))).toBe(false);
  });
});

describe('search attributes are checked at start, registered only when asked', () => {
  const namespace = `sa-${randomUUID().slice(0, 8)}`;
  const address = inject('temporalAddress');
  const warnings: string[] = [];
  const log = { warn: (m: string) => warnings.push(m) };

  beforeAll(async () => {
    const connection = await Connection.connect({ address });
    try {
      await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: 86_400 as never } }); // protobufjs takes a number for an int64
      // A new namespace reaches every service's cache after a moment.
      for (let i = 0; ; i++) {
        try {
          await connection.operatorService.listSearchAttributes({ namespace });
          break;
        } catch (err) {
          if (i > 100) throw err;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    } finally {
      await connection.close();
    }
  });

  it('warns with the exact commands, fails with them when told to, and registers them in register mode', async () => {
    const warned = await checkSearchAttributes(address, namespace, 'warn', log);
    expect(warned.missing.sort()).toEqual([...ATTRS].sort());
    expect(warnings).toHaveLength(1);
    for (const name of ATTRS) expect(warnings[0]).toContain(`temporal operator search-attribute create --namespace ${namespace} --name ${name} --type Keyword`);

    const failed = await checkSearchAttributes(address, namespace, 'fail', log).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ServiceError);
    expect((failed as ServiceError).code).toBe('temporal_search_attributes');
    expect((failed as Error).message).toContain('deploy/temporal/register-search-attributes.sh');

    const registered = await checkSearchAttributes(address, namespace, 'register', log);
    expect(registered.registered.sort()).toEqual([...ATTRS].sort());
    expect(await checkSearchAttributes(address, namespace, 'fail', log)).toEqual({ missing: [], registered: [] });
    expect(warnings).toHaveLength(1);
  });
});
