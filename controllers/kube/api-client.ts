import type { KubeConfig } from '@kubernetes/client-node';
import { Counter, type Registry } from 'prom-client';
import { Agent, request, type Dispatcher } from 'undici';
import { ApiError } from './api-error.ts';
import type { Status } from './object.ts';

export type Verb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestOptions {
  method: Verb;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

/** Credentials are re-read this often, so rotated service-account tokens are picked up. */
const authRefreshMs = 60_000;

/** What ObjectClient needs from a client: ApiClient, or a recording fake in unit tests. */
export interface ApiTransport {
  request<T>(opts: RequestOptions): Promise<T>;
  lines(opts: RequestOptions): AsyncGenerator<string>;
}

interface Auth {
  headers: Record<string, string>;
  dispatcher: Dispatcher;
  at: number;
}

/**
 * The runtime's one HTTP client for the Kubernetes API: JSON in and out, the API server's Status
 * in errors (ApiError), line-delimited watch streams, and every request counted in
 * rest_client_requests_total. Informers, reconcilers, leader election, host heartbeats and the
 * events recorder all send through it.
 *
 * We keep our own client rather than the generated typed APIs because the runtime needs any
 * resource by URL (custom resources first of all), server-side apply on subresources, streaming
 * watches with bookmarks, and exact control of timeouts and retries.
 *
 * @kubernetes/client-node stays for one job: turning a kubeconfig (or a pod's service account)
 * into TLS settings and credentials. That covers client certificates, token files, rotated
 * service-account tokens, exec credential plugins and OIDC, which we would otherwise have to
 * copy; it sends no request of ours. The test harness uses it too, so dropping it would save
 * no dependency.
 */
export class ApiClient implements ApiTransport {
  readonly server: string;
  private auth: Auth | undefined;
  private readonly requests: Counter | undefined;
  /** Requests sent, by verb: the benchmark reports API calls per object from this. */
  readonly counts: Record<Verb, number> = { GET: 0, POST: 0, PUT: 0, PATCH: 0, DELETE: 0 };

  private readonly kc: KubeConfig;

  constructor(kc: KubeConfig, registry?: Registry) {
    this.kc = kc;
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = cluster.server.replace(/\/+$/, '');
    this.requests = registry
      ? new Counter({
          name: 'rest_client_requests_total',
          help: 'Number of HTTP requests, partitioned by status code, method, and host.',
          labelNames: ['code', 'method', 'host'],
          registers: [registry],
        })
      : undefined;
  }

  private async credentials(): Promise<Auth> {
    if (this.auth && Date.now() - this.auth.at < authRefreshMs) return this.auth;
    const headers: Record<string, string> = {};
    let dispatcher: Dispatcher | undefined;
    await this.kc.applySecurityAuthentication({
      setHeaderParam: (k: string, v: string) => {
        headers[k] = v;
      },
      setDispatcher: (d: Dispatcher) => {
        dispatcher = d;
      },
    } as unknown as Parameters<KubeConfig['applySecurityAuthentication']>[0]);
    // Keep one connection pool for the life of the client; a new pool per refresh would
    // leave the old connections to time out.
    const pool = this.auth?.dispatcher ?? dispatcher ?? new Agent({ connections: 64 });
    this.auth = { headers, dispatcher: pool, at: Date.now() };
    return this.auth;
  }

  private url(path: string, query?: RequestOptions['query']): string {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v !== undefined) params.set(k, String(v));
    }
    const qs = params.toString();
    return `${this.server}${path}${qs ? `?${qs}` : ''}`;
  }

  private async send(opts: RequestOptions, accept: string): Promise<Dispatcher.ResponseData> {
    const auth = await this.credentials();
    const headers: Record<string, string> = { ...auth.headers, accept };
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    this.counts[opts.method]++;
    const res = await request(this.url(opts.path, opts.query), {
      method: opts.method,
      headers,
      body,
      dispatcher: auth.dispatcher,
      signal: opts.signal,
    });
    this.requests?.inc({ code: String(res.statusCode), method: opts.method, host: this.server });
    return res;
  }

  private async fail(res: Dispatcher.ResponseData, opts: RequestOptions): Promise<never> {
    const text = await res.body.text();
    let status: Status | undefined;
    try {
      status = JSON.parse(text) as Status;
    } catch {
      status = { message: text.slice(0, 500) };
    }
    throw new ApiError(res.statusCode, status, `${opts.method} ${opts.path}`);
  }

  /** One request; resolves with the parsed JSON body, rejects with ApiError on a non-2xx. */
  async request<T>(opts: RequestOptions): Promise<T> {
    const res = await this.send(opts, 'application/json');
    if (res.statusCode >= 300) return this.fail(res, opts);
    return (await res.body.json()) as T;
  }

  /**
   * A streaming request (a watch): yields each line of the response body as it arrives. The
   * stream ends when the server closes it or the signal aborts.
   */
  async *lines(opts: RequestOptions): AsyncGenerator<string> {
    const res = await this.send(opts, 'application/json');
    if (res.statusCode >= 300) await this.fail(res, opts);
    let buffered = '';
    res.body.setEncoding('utf8');
    try {
      for await (const chunk of res.body as AsyncIterable<string>) {
        buffered += chunk;
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (line.trim() !== '') yield line;
        }
      }
      if (buffered.trim() !== '') yield buffered;
    } finally {
      res.body.destroy();
    }
  }

  /**
   * Closes the connection pool (at shutdown). undici (8.12) destroys its HTTP/2 sessions with
   * ClientDestroyedError once the pool is closed, and an HTTP/2 stream of a request aborted just
   * before (a watch stopped by the same shutdown) can still be open then, with no 'error'
   * listener left: Node would crash the process on that error. It is this close's own doing
   * and harmless, so while the pool closes that one error is ignored; any other is rethrown.
   */
  async close(): Promise<void> {
    const auth = this.auth;
    this.auth = undefined;
    if (!auth) return;
    const ignoreDestroyed = (err: unknown) => {
      if ((err as { code?: unknown } | null)?.code === 'UND_ERR_DESTROYED') return;
      throw err;
    };
    process.on('uncaughtException', ignoreDestroyed);
    try {
      await auth.dispatcher.close();
      // The sessions' streams emit their errors on the ticks after the close.
      await new Promise<void>((resolve) => setImmediate(resolve));
    } finally {
      process.off('uncaughtException', ignoreDestroyed);
    }
  }
}
