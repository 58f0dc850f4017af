import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort, repoRoot } from '../../../hack/cluster/index.ts';
import { ovnTool, selectedInstall, type OvnTool } from '../../../hack/ovn/index.ts';
import { envKeys } from '../../harness/env.ts';
import { waitFor } from '../../harness/index.ts';

const run = promisify(execFile);
/** The northbound schema of the OVN the run uses (KCLOUD_OVN). */
export const nbSchemaFile = selectedInstall().schemas.nb;

/** A program of that OVN, with its arguments: `[file, args]` for spawn and execFile. */
function command(name: OvnTool, args: string[]): [string, string[]] {
  const tool = ovnTool(name);
  return [tool.file, [...tool.args, ...args]];
}

/** The server's own key and certificate and the CA its clients' certificates must chain to. */
export interface ServerTls {
  key: string;
  cert: string;
  ca: string;
}

/**
 * A private ovsdb-server holding an OVN northbound database in a folder of its own, on a unix
 * socket and a loopback TCP port (`pssl:`, certificates required, when started with TLS). Its run, database and log directories all point into that
 * folder, so the machine's own Open vSwitch is never touched. Tests stop it by PID.
 */
export class OvsdbServer {
  readonly dir: string;
  readonly db: string;
  readonly socket: string;
  readonly port: number;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  readonly tls: ServerTls | undefined;

  private constructor(dir: string, port: number, tls: ServerTls | undefined) {
    this.dir = dir;
    this.tls = tls;
    this.db = path.join(dir, 'nb.db');
    this.socket = path.join(dir, 'nb.sock');
    this.port = port;
  }

  /** Creates the database from OVN's schema and starts the server. */
  static async start(name: string, opts: { tls?: ServerTls } = {}): Promise<OvsdbServer> {
    const parent = process.env[envKeys.runDir] ?? path.join(repoRoot, '.local', 'test-runs');
    await mkdir(parent, { recursive: true });
    // Short names: a unix socket path must fit in 108 bytes.
    const dir = await mkdtemp(path.join(parent, `ovsdb-${name}-`));
    const server = new OvsdbServer(dir, await freePort(), opts.tls);
    await server.tool('create', server.db, nbSchemaFile);
    await server.restart();
    return server;
  }

  get unixEndpoint(): string {
    return `unix:${this.socket}`;
  }

  get tcpEndpoint(): string {
    if (this.tls) throw new Error('this ovsdb-server listens with TLS only: use sslEndpoint');
    return `tcp:127.0.0.1:${String(this.port)}`;
  }

  get sslEndpoint(): string {
    if (!this.tls) throw new Error('this ovsdb-server listens without TLS: use tcpEndpoint');
    return `ssl:127.0.0.1:${String(this.port)}`;
  }

  get pid(): number {
    const pid = this.child?.pid;
    if (pid === undefined || !this.running()) throw new Error('ovsdb-server is not running');
    return pid;
  }

  running(): boolean {
    return (
      this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
    );
  }

  /** Starts the server (again) on the same socket, port and data; waits until both accept. */
  async restart(): Promise<void> {
    if (this.running()) throw new Error('ovsdb-server is already running');
    const child = spawn(
      ...command('ovsdb-server', [
        this.db,
        `--remote=punix:${this.socket}`,
        ...(this.tls
          ? [
              `--remote=pssl:${String(this.port)}:127.0.0.1`,
              `--private-key=${this.tls.key}`,
              `--certificate=${this.tls.cert}`,
              `--ca-cert=${this.tls.ca}`,
            ]
          : [`--remote=ptcp:${String(this.port)}:127.0.0.1`]),
        `--pidfile=${path.join(this.dir, 'ovsdb-server.pid')}`,
        `--log-file=${path.join(this.dir, 'ovsdb-server.log')}`,
        `--unixctl=${path.join(this.dir, 'ovsdb-server.ctl')}`,
        '-vconsole:off',
      ]),
      { env: this.env(), stdio: 'ignore' },
    );
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        resolve();
      });
    });
    await waitFor(
      async () => {
        if (!this.running()) throw new Error(`ovsdb-server exited: ${await this.logTail()}`);
        return (
          (await accepts({ path: this.socket })) && accepts({ host: '127.0.0.1', port: this.port })
        );
      },
      { what: 'ovsdb-server to listen', timeoutMs: 15_000, intervalMs: 20 },
    );
  }

  signal(signal: NodeJS.Signals): void {
    process.kill(this.pid, signal);
  }

  /** A crash: SIGKILL, then wait for the process to be gone. */
  async kill9(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }

  /** Stops the server if it runs (even a stopped one): SIGTERM, SIGKILL after 5 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child?.pid || !this.running()) return;
    child.kill('SIGTERM');
    child.kill('SIGCONT');
    const killed = setTimeout(() => child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(killed);
  }

  /** Stops the server and removes its folder, unless KCLOUD_TEST_KEEP=1 asks to keep it. */
  async cleanup(): Promise<void> {
    await this.stop();
    if (process.env.KCLOUD_TEST_KEEP !== '1') await rm(this.dir, { recursive: true, force: true });
  }

  /** ovn-nbctl against this server only. */
  async nbctl(...args: string[]): Promise<string> {
    const { stdout } = await run(...command('ovn-nbctl', [`--db=${this.unixEndpoint}`, ...args]), {
      env: this.env(),
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout.trim();
  }

  /** ovsdb-tool, e.g. to change the database file while the server is down. */
  async tool(...args: string[]): Promise<string> {
    const { stdout } = await run(...command('ovsdb-tool', args), { env: this.env() });
    return stdout.trim();
  }

  private env(): NodeJS.ProcessEnv {
    const dirs = ['OVS_RUNDIR', 'OVS_DBDIR', 'OVS_LOGDIR', 'OVN_RUNDIR', 'OVN_DBDIR', 'OVN_LOGDIR'];
    return {
      ...process.env,
      ...Object.fromEntries(dirs.map((d) => [d, this.dir])),
      // ovsdb-server lives in sbin, which a non-root PATH may lack.
      PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin`,
    };
  }

  private async logTail(): Promise<string> {
    const log = await readFile(path.join(this.dir, 'ovsdb-server.log'), 'utf8').catch(() => '');
    return log.split('\n').slice(-10).join('\n');
  }
}

function accepts(target: { path: string } | { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.createConnection(target);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}
