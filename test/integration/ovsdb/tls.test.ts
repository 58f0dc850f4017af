// The client over TLS against a real ovsdb-server listening only on `pssl:`: a client with a
// certificate signed by the server's CA connects, transacts and monitors; the server refuses a
// client whose certificate another CA signed, a TLS client without a certificate and a plain
// TCP client; and the client refuses a server its CA did not sign or that lacks the name asked
// for.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import winston from 'winston';
import { Backoff } from '../../../controllers/informer/backoff.ts';
import { OvsdbClient, nb, operationsFor, type TlsFiles } from '../../../controllers/ovsdb/index.ts';
import {
  clientExtensions,
  selfSignedCa,
  serverExtensions,
  signedCert,
} from '../../../hack/cluster/pki.ts';
import { repoRoot } from '../../../hack/cluster/index.ts';
import { envKeys } from '../../harness/env.ts';
import { waitFor } from '../../harness/index.ts';
import { OvsdbServer } from './server.ts';

const ops = operationsFor<nb.Tables>();

interface Issued {
  ca: string;
  server: { key: string; cert: string };
  client: { key: string; cert: string };
}

/** A CA with a server certificate for loopback and a client certificate, in `dir`. */
async function issue(dir: string, name: string): Promise<Issued> {
  const ca = { key: path.join(dir, `${name}-ca.key`), cert: path.join(dir, `${name}-ca.crt`) };
  await selfSignedCa(ca.key, ca.cert, `${name} OVN CA`);
  await signedCert(
    ca,
    dir,
    `${name}-server`,
    '/CN=ovn-central',
    serverExtensions(['IP:127.0.0.1', 'DNS:localhost']),
  );
  await signedCert(ca, dir, `${name}-client`, '/CN=kcloud-manager', clientExtensions);
  const pair = (n: string) => ({
    key: path.join(dir, `${name}-${n}.key`),
    cert: path.join(dir, `${name}-${n}.crt`),
  });
  return { ca: ca.cert, server: pair('server'), client: pair('client') };
}

let certDir: string;
let server: OvsdbServer;
let ours: Issued;
let theirs: Issued;

beforeAll(async () => {
  const parent = process.env[envKeys.runDir] ?? path.join(repoRoot, '.local', 'test-runs');
  await mkdir(parent, { recursive: true });
  certDir = await mkdtemp(path.join(parent, 'ovsdb-certs-'));
  ours = await issue(certDir, 'ours');
  theirs = await issue(certDir, 'theirs');
  server = await OvsdbServer.start('tls', {
    tls: { key: ours.server.key, cert: ours.server.cert, ca: ours.ca },
  });
});

afterAll(async () => {
  await server.cleanup();
  await rm(certDir, { recursive: true, force: true });
});

/** A logger that keeps what the client warns about, so a test can see why it did not connect. */
function recordingLogger(): { log: winston.Logger; warnings: { error?: string }[] } {
  const warnings: { error?: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const entry = JSON.parse(chunk.toString()) as { level: string; error?: string };
      if (entry.level === 'warn') warnings.push(entry);
      done();
    },
  });
  const log = winston.createLogger({
    level: 'warn',
    format: winston.format.json(),
    transports: [new winston.transports.Stream({ stream })],
  });
  return { log, warnings };
}

function connect(files: TlsFiles, log: winston.Logger): OvsdbClient<nb.Tables> {
  return OvsdbClient.connect<nb.Tables>({
    endpoints: [server.sslEndpoint],
    tls: files,
    database: 'OVN_Northbound',
    log,
    backoff: new Backoff(50, 200),
  });
}

/** Waits for the client's third failed attempt; it must never have connected meanwhile. */
async function refused(files: TlsFiles): Promise<string[]> {
  const { log, warnings } = recordingLogger();
  const client = connect(files, log);
  let connected = false;
  client.onConnectionState((s) => {
    if (s.connected) connected = true;
  });
  try {
    await waitFor(() => warnings.length >= 3 || undefined, {
      what: 'three failed connection attempts',
      timeoutMs: 30_000,
    });
    expect(connected).toBe(false);
    expect(client.connected).toBe(false);
    return warnings.map((w) => w.error ?? '');
  } finally {
    await client.close();
  }
}

/** Sends list_dbs on a raw stream: the reply, or why none came. */
function listDbs(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      data += d;
      if (data.includes('"result"')) {
        socket.destroy();
        resolve(`reply ${data}`);
      }
    });
    socket.once('error', (err) => {
      resolve(`error ${err.message}`);
    });
    socket.once('close', () => {
      resolve(`closed ${data}`);
    });
    socket.write(JSON.stringify({ id: 1, method: 'list_dbs', params: [] }));
  });
}

describe('OVSDB over TLS', () => {
  it('connects with a certificate signed by the server’s CA, transacts and monitors', async () => {
    const { log } = recordingLogger();
    const client = connect(
      { keyFile: ours.client.key, certFile: ours.client.cert, caFile: ours.ca },
      log,
    );
    try {
      await client.monitor([{ table: 'Logical_Switch' }]);
      await client.waitConnected();
      await client.transact([ops.insert('Logical_Switch', { name: 'over-tls' })]);
      expect(await server.nbctl('--bare', '--columns=name', 'list', 'Logical_Switch')).toBe(
        'over-tls',
      );
      await server.nbctl('ls-add', 'from-nbctl');
      const switches = client.replica.table('Logical_Switch');
      await waitFor(() => switches.find((s) => s.name === 'from-nbctl'), {
        what: 'the replica to follow ovn-nbctl',
      });
    } finally {
      await client.close();
    }
  });

  it('checks the server’s name when one is given', async () => {
    const files = { keyFile: ours.client.key, certFile: ours.client.cert, caFile: ours.ca };
    const { log } = recordingLogger();
    const client = connect({ ...files, serverName: 'localhost' }, log);
    try {
      await client.waitConnected();
    } finally {
      await client.close();
    }
    const errors = await refused({ ...files, serverName: 'ovn.example.com' });
    for (const e of errors) expect(e).toMatch(/ovn\.example\.com/);
  });

  it('is refused by the server with a client certificate from another CA', async () => {
    const errors = await refused({
      keyFile: theirs.client.key,
      certFile: theirs.client.cert,
      caFile: ours.ca,
    });
    // The handshake ends with the server's alert or its closing the stream.
    for (const e of errors) expect(e).toMatch(/alert|closed|ECONNRESET|socket hang up|EPIPE/i);
  });

  it('refuses a server whose certificate its CA did not sign', async () => {
    const errors = await refused({
      keyFile: ours.client.key,
      certFile: ours.client.cert,
      caFile: theirs.ca,
    });
    for (const e of errors) expect(e).toMatch(/certificate/i);
  });

  it('is refused by the server as a TLS client without a certificate, or a plain TCP one', async () => {
    const bare = tls.connect({ host: '127.0.0.1', port: server.port, ca: await readFile(ours.ca) });
    expect(await listDbs(bare)).not.toMatch(/^reply/);
    const plain = net.connect({ host: '127.0.0.1', port: server.port });
    expect(await listDbs(plain)).not.toMatch(/^reply/);
    // The same request answered on the server's unix socket: the refusals are the TLS ones.
    expect(await listDbs(net.connect({ path: server.socket }))).toMatch(/^reply.*OVN_Northbound/);
  });

  it('needs a key, certificate and CA for an ssl: endpoint', () => {
    expect(() =>
      OvsdbClient.connect({
        endpoints: [server.sslEndpoint],
        database: 'OVN_Northbound',
        log: recordingLogger().log,
      }),
    ).toThrow(/needs a client key, certificate and CA/);
  });
});
