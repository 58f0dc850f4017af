// Running the ceph and rbd CLIs as one cephx user of one cluster: argument arrays only, never
// a shell string, so pool, image and user names reach Ceph exactly as given.
import { toolOutput } from '../cluster/index.ts';
import type { CephLayout } from './layout.ts';
import { cephTool } from './tools.ts';

/** Which cluster and which cephx user a command runs as. */
export interface CephEnv {
  /** ceph.conf: the monitors, and for client.admin its keyring. */
  conf: string;
  keyring: string;
  /** The user's id without `client.` (`admin`). */
  id: string;
}

/** A keyring holding one entity's key (`client.x`, `osd.0`). */
export function keyringFor(entity: string, key: string): string {
  return `[${entity}]\n\tkey = ${key}\n`;
}

export function adminEnv(layout: CephLayout): CephEnv {
  return { conf: layout.conf, keyring: layout.adminKeyring, id: 'admin' };
}

/**
 * How long a command waits for a monitor before it fails (the CLI would wait forever on a
 * cluster that is down).
 */
export const connectTimeoutSeconds = 15;

/** The options that bind a `ceph` or `rbd` command to one cluster and user. */
export function clientArgs(env: CephEnv): string[] {
  return ['--conf', env.conf, '--keyring', env.keyring, '--id', env.id];
}

export function cephArgs(
  env: CephEnv,
  args: string[],
  connectTimeout = connectTimeoutSeconds,
): string[] {
  return [...clientArgs(env), '--connect-timeout', String(connectTimeout), ...args];
}

export interface CephCommandOptions {
  /** Written to the command's standard input (`-i -`). */
  input?: string;
  connectTimeoutSeconds?: number;
}

const missingHint = 'run `make setup` to install Ceph (ceph-common)';
/** A backstop for a command that hangs although connected (a cluster with no OSD up). */
const killAfterMs = 120_000;

/** Runs `ceph <args>` and returns its output; a failure throws with Ceph's message. */
export function ceph(env: CephEnv, args: string[], opts: CephCommandOptions = {}): Promise<string> {
  return toolOutput(cephTool('ceph'), cephArgs(env, args, opts.connectTimeoutSeconds), {
    missingHint,
    killAfterMs,
    label: `ceph ${args.join(' ')}`,
    ...(opts.input === undefined ? {} : { input: opts.input }),
  });
}

/** `ceph <args> --format json`, parsed. */
export async function cephJson<T>(
  env: CephEnv,
  args: string[],
  opts: CephCommandOptions = {},
): Promise<T> {
  return JSON.parse(await ceph(env, [...args, '--format', 'json'], opts)) as T;
}

/** `ceph --admin-daemon <socket> <args>`: a daemon's own view, without the monitor. */
export async function adminSocketJson<T>(socket: string, args: string[]): Promise<T> {
  const out = await toolOutput(cephTool('ceph'), ['--admin-daemon', socket, ...args], {
    missingHint,
    killAfterMs: 10_000,
  });
  return JSON.parse(out) as T;
}

/** Runs `rbd <args>`. */
export function rbd(env: CephEnv, args: string[]): Promise<string> {
  return toolOutput(cephTool('rbd'), [...clientArgs(env), ...args], {
    missingHint,
    killAfterMs,
    label: `rbd ${args.join(' ')}`,
  });
}
