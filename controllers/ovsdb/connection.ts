import net from 'node:net';
import type { Clock } from '../clock/index.ts';

export type Endpoint =
  | { kind: 'unix'; path: string; address: string }
  | { kind: 'tcp'; host: string; port: number; address: string };

/** Reads an OVSDB remote as ovn-nbctl writes it: `unix:/path` or `tcp:host:port` (`tcp:[::1]:6641`). */
export function parseEndpoint(address: string): Endpoint {
  if (address.startsWith('unix:')) {
    const path = address.slice('unix:'.length);
    if (!path) throw new Error(`endpoint ${address}: the socket path is empty`);
    return { kind: 'unix', path, address };
  }
  if (address.startsWith('tcp:')) {
    const rest = address.slice('tcp:'.length);
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(rest);
    const host = m?.[1] ?? m?.[2];
    const port = Number(m?.[3]);
    if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`endpoint ${address}: expected tcp:host:port`);
    }
    return { kind: 'tcp', host, port, address };
  }
  throw new Error(`endpoint ${address}: only unix:<path> and tcp:<host>:<port> are supported`);
}

export interface DialOptions {
  timeoutMs: number;
  clock: Clock;
  signal?: AbortSignal;
}

/** Opens a stream to the endpoint; rejects on error, on timeout or when the signal aborts. */
export function dial(endpoint: Endpoint, opts: DialOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(opts.signal.reason as Error);
      return;
    }
    const socket =
      endpoint.kind === 'unix'
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
    socket.once('connect', () => {
      cleanup();
      resolve(socket);
    });
  });
}
