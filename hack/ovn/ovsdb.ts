import { existsSync } from 'node:fs';
import net from 'node:net';
import type { Clock } from '../../controllers/clock/index.ts';
import { check, run } from './ctl.ts';
import { ovsEnv } from './env.ts';
import type { OvnLayout } from './layout.ts';
import type { ToolResolver } from './tools.ts';

/** Where an ovsdb-server listens: a unix socket, or a TCP port on loopback. */
export type OvsdbEndpoint = { path: string } | { host: string; port: number };

/**
 * The databases an ovsdb-server serves, asked with one JSON-RPC `list_dbs` call (RFC 7047).
 * Talking to the socket directly is how a client such as the VPC operator will connect, and
 * it proves the server answers, not only that its socket exists.
 */
export function listDbs(
  endpoint: OvsdbEndpoint,
  clock: Clock,
  timeoutMs = 2_000,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(endpoint);
    let buffer = '';
    const timer = clock.setTimer(() => {
      socket.destroy(new Error(`no answer within ${String(timeoutMs)} ms`));
    }, timeoutMs);
    const finish = (err: Error | undefined, dbs?: string[]) => {
      timer.cancel();
      socket.destroy();
      if (err) reject(err);
      else resolve(dbs ?? []);
    };
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      socket.write(JSON.stringify({ method: 'list_dbs', params: [], id: 0 }));
    });
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let reply: unknown;
      try {
        reply = JSON.parse(buffer);
      } catch {
        return; // An incomplete reply: wait for the rest.
      }
      const { result, error } = reply as { result?: unknown; error?: unknown };
      if (error !== null && error !== undefined) {
        finish(new Error(`list_dbs failed: ${JSON.stringify(error)}`));
      } else if (!Array.isArray(result) || !result.every((r) => typeof r === 'string')) {
        finish(new Error(`unexpected list_dbs reply: ${buffer}`));
      } else {
        finish(undefined, result);
      }
    });
    socket.on('error', (err) => {
      finish(err);
    });
    socket.on('close', () => {
      finish(new Error('connection closed before a reply'));
    });
  });
}

/** True when the server at `endpoint` answers and serves `database`. */
export async function serves(
  endpoint: OvsdbEndpoint,
  database: string,
  clock: Clock,
): Promise<boolean> {
  try {
    return (await listDbs(endpoint, clock)).includes(database);
  } catch {
    return false;
  }
}

/**
 * Creates the database file from its schema, or keeps the existing one: converted in place
 * when the installed schema is newer (an upgraded package), as the distribution's own scripts
 * do. The server must not be running.
 */
export async function ensureDatabase(
  layout: OvnLayout,
  file: string,
  schema: string,
  tool: ToolResolver,
): Promise<'created' | 'converted' | 'kept'> {
  const program = tool('ovsdb-tool');
  const ovsdbTool = (args: string[]) =>
    run({
      file: program.file,
      args: [...program.args, ...args],
      env: ovsEnv(layout),
      killAfterMs: 60_000,
    });
  if (!existsSync(file)) {
    await check(ovsdbTool(['create', file, schema]), `ovsdb-tool create ${file}`);
    return 'created';
  }
  const needs = await check(
    ovsdbTool(['needs-conversion', file, schema]),
    `ovsdb-tool needs-conversion ${file}`,
  );
  if (needs.trim() !== 'yes') return 'kept';
  // Converting to an older schema drops what it lacks, or fails half-way (a value the old
  // schema does not allow): a database of a newer OVN is left alone.
  const has = (
    await check(ovsdbTool(['db-version', file]), `ovsdb-tool db-version ${file}`)
  ).trim();
  const wants = (
    await check(ovsdbTool(['schema-version', schema]), `ovsdb-tool schema-version ${schema}`)
  ).trim();
  if (compareVersions(has, wants) > 0) {
    throw new Error(
      `${file} has schema ${has}, newer than this OVN's ${wants} (${schema}): it was made by a newer OVN; run that one (KCLOUD_OVN unset for 25.03, 26.03 for 26.03), or delete the instance's databases (hack/ovn.sh purge)`,
    );
  }
  await check(ovsdbTool(['convert', file, schema]), `ovsdb-tool convert ${file}`);
  return 'converted';
}

/** Orders two OVSDB schema versions (`x.y.z`). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
