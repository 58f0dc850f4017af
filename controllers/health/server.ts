import type { Server } from 'node:http';
import express from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** A named readiness or liveness check; it throws or returns false when not OK. */
export interface Check {
  name: string;
  check: () => Promise<boolean> | boolean;
}

export interface HealthServerOptions {
  host: string;
  port: number;
  liveness?: Check[];
  readiness?: Check[];
  registry?: Registry;
}

async function runChecks(checks: Check[]): Promise<{ ok: boolean; lines: string[] }> {
  const lines: string[] = [];
  let ok = true;
  for (const c of checks) {
    let passed = false;
    let why = '';
    try {
      passed = await c.check();
    } catch (err) {
      why = `: ${err instanceof Error ? err.message : String(err)}`;
    }
    ok &&= passed;
    lines.push(`[${passed ? '+' : '-'}]${c.name} ${passed ? 'ok' : `failed${why}`}`);
  }
  return { ok, lines };
}

/**
 * /healthz, /readyz and /metrics, in the text format Kubernetes components use, so probes and
 * people read them the same way (`?verbose` lists each check).
 */
export function startHealthServer(opts: HealthServerOptions): Promise<Server> {
  const registry = opts.registry ?? new Registry();
  if (!opts.registry) collectDefaultMetrics({ register: registry });
  const app = express();
  app.disable('x-powered-by');
  const endpoint = (path: string, checks: Check[]) => {
    app.get(path, async (req, res) => {
      const { ok, lines } = await runChecks(checks);
      res.status(ok ? 200 : 503).type('text/plain');
      const verbose = 'verbose' in req.query || !ok;
      res.send(
        verbose
          ? `${lines.join('\n')}\n${path.slice(1)} ${ok ? 'check passed' : 'check failed'}\n`
          : 'ok',
      );
    });
  };
  endpoint('/healthz', opts.liveness ?? []);
  endpoint('/readyz', opts.readiness ?? []);
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return new Promise((resolve, reject) => {
    const server = app.listen(opts.port, opts.host, (err?: Error) => {
      if (err) reject(err);
      else resolve(server);
    });
  });
}
