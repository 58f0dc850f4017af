import { readFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import type { Clock } from '../clock/index.ts';

export type Endpoint =
  | { kind: 'unix'; path: string; address: string }
  | { kind: 'tcp' | 'ssl'; host: string; port: number; address: string };

/**
 * Reads an OVSDB remote as ovn-nbctl writes it: `unix:/path`, `tcp:host:port` or
 * `ssl:host:port` (`tcp:[::1]:6641`).
 */
export function parseEndpoint(address: string): Endpoint {
  if (address.startsWith('unix:')) {
    const path = address.slice('unix:'.length);
    if (!path) throw new Error(`endpoint ${address}: the socket path is empty`);
    return { kind: 'unix', path, address };
  }
  for (const kind of ['tcp', 'ssl'] as const) {
    if (!address.startsWith(`${kind}:`)) continue;
    const rest = address.slice(kind.length + 1);
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(rest);
    const host = m?.[1] ?? m?.[2];
    const port = Number(m?.[3]);
    if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`endpoint ${address}: expected ${kind}:host:port`);
    }
    return { kind, host, port, address };
  }
  throw new Error(
    `endpoint ${address}: only unix:<path>, tcp:<host>:<port> and ssl:<host>:<port> are supported`,
  );
}

/**
 * Reads a list of remotes, each entry one remote or several separated by commas as ovn-nbctl
 * takes a cluster's members (`tcp:10.0.0.1:6641,tcp:10.0.0.2:6641`); blanks are ignored and
 * a remote named twice is tried once.
 */
export function parseEndpoints(remotes: readonly string[]): Endpoint[] {
  const addresses = remotes
    .flatMap((r) => r.split(','))
    .map((r) => r.trim())
    .filter(Boolean);
  return [...new Set(addresses)].map(parseEndpoint);
}

/**
 * The files an `ssl:` connection authenticates with, PEM. They are read again on every
 * connection, so certificates renewed on disk (a Secret's mount) are used without a restart.
 */
export interface TlsFiles {
  /** This client's private key. */
  keyFile: string;
  /** This client's certificate, which the server checks against its CA. */
  certFile: string;
  /** The CA the server's certificate must be signed by (no other CA is trusted). */
  caFile: string;
  /**
   * A name the server's certificate must carry (a DNS or IP subject alternative name). Without
   * it the server is checked as OVN's own clients check it: signed by the CA for server use.
   */
  serverName?: string;
}

export interface DialOptions {
  timeoutMs: number;
  clock: Clock;
  signal?: AbortSignal;
  /** Required for `ssl:` endpoints. */
  tls?: TlsFiles;
}

async function tlsOptions(endpoint: Endpoint, files: TlsFiles): Promise<tls.ConnectionOptions> {
  if (endpoint.kind !== 'ssl') throw new Error(`${endpoint.address} is not an ssl: endpoint`);
  const wanted = [
    ['private key', files.keyFile],
    ['certificate', files.certFile],
    ['CA certificate', files.caFile],
  ] as const;
  // allSettled, not all: with several unreadable files the error must name the same one every
  // time (the first in this order), not whichever read happened to fail first.
  const results = await Promise.allSettled(wanted.map(([, file]) => readFile(file)));
  const failed = results.findIndex((r) => r.status === 'rejected');
  const first = wanted[failed];
  if (first) {
    const [what, file] = first;
    const err = (results[failed] as PromiseRejectedResult).reason as Error;
    throw new Error(
      `connecting to ${endpoint.address}: reading the ${what} ${file}: ${err.message}`,
      {
        cause: err,
      },
    );
  }
  const [key, cert, ca] = results.map((r) => (r as PromiseFulfilledResult<Buffer>).value);
  const serverName = files.serverName;
  return {
    host: endpoint.host,
    port: endpoint.port,
    key,
    cert,
    ca,
    rejectUnauthorized: true,
    // SNI only for names; an IP in SNI is not allowed.
    ...(serverName && net.isIP(serverName) === 0 ? { servername: serverName } : {}),
    checkServerIdentity: (_host, peer) =>
      serverName ? tls.checkServerIdentity(serverName, peer) : undefined,
  };
}

/** Opens a stream to the endpoint; rejects on error, on timeout or when the signal aborts. */
export async function dial(endpoint: Endpoint, opts: DialOptions): Promise<net.Socket> {
  if (endpoint.kind === 'ssl' && !opts.tls) {
    throw new Error(`${endpoint.address}: an ssl: endpoint needs a key, certificate and CA`);
  }
  const secure =
    endpoint.kind === 'ssl' && opts.tls ? await tlsOptions(endpoint, opts.tls) : undefined;
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(opts.signal.reason as Error);
      return;
    }
    const socket = secure
      ? tls.connect(secure).setNoDelay(true)
      : endpoint.kind === 'unix'
        ? net.createConnection({ path: endpoint.path })
        : net.createConnection({ host: endpoint.host, port: endpoint.port, noDelay: true });
    const fail = (err: Error) => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onError = (err: Error) => {
      fail(new Error(`connecting to ${endpoint.address}: ${err.message}`));
    };
    const onAbort = () => {
      fail(opts.signal?.reason as Error);
    };
    const timer = opts.clock.setTimer(() => {
      fail(
        new Error(
          `connecting to ${endpoint.address}: timed out after ${String(opts.timeoutMs)} ms`,
        ),
      );
    }, opts.timeoutMs);
    const cleanup = () => {
      timer.cancel();
      socket.off('error', onError);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    socket.once('error', onError);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    // A TLS stream is open once the handshake verified the server.
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      cleanup();
      resolve(socket);
    });
  });
}
