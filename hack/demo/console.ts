// Reaching an instance's VM on this machine, for `node hack/demo/cli.ts console|vnc`: its QEMU is
// found by the Instance's UID on its command line (-uuid), which also names its run directory
// (the pid file's folder) with the serial console's socket and log, whatever the agent's
// --state-dir. VNC listens on loopback in QEMU's own network namespace (the data plane's).
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { kubectl } from '../cluster/index.ts';
import { runPaths } from '../../operators/ecs/backend/qemu/index.ts';
import { vncLogin } from './vnc-login.ts';

const exec = promisify(execFile);

export interface VmProcess {
  pid: number;
  /** The run directory: con.sock, console.log, qmp.sock, qemu.pid. */
  dir: string;
}

interface InstanceJson {
  metadata: { uid?: string; namespace?: string };
  status?: { console?: { vncEndpoint?: string }; vncPasswordSecretRef?: { name: string } };
}

async function readInstance(kubeconfig: string, ref: string): Promise<InstanceJson> {
  const [namespace, name, ...more] = ref.split('/');
  if (!namespace || !name || more.length > 0) {
    throw new Error(`${JSON.stringify(ref)} does not name an Instance: give <namespace>/<name>`);
  }
  const r = await kubectl(kubeconfig, [
    'get',
    'instances.ecs.kcloud.io',
    name,
    '-n',
    namespace,
    '-o',
    'json',
  ]);
  if (r.code !== 0) throw new Error(`reading Instance ${ref}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as InstanceJson;
}

/** The QEMU running the VM `uid` on this machine, by its -uuid; undefined when none does. */
export async function findQemu(uid: string): Promise<VmProcess | undefined> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const args = await readFile(`/proc/${entry}/cmdline`, 'utf8').then(
      (s) => s.split('\0'),
      (): string[] => [],
    );
    const at = args.indexOf('-uuid');
    if (at < 0 || args[at + 1] !== uid) continue;
    const pidFile = args[args.indexOf('-pidfile') + 1];
    if (pidFile === undefined) continue;
    return { pid: Number(entry), dir: path.dirname(pidFile) };
  }
  return undefined;
}

async function vmOf(
  kubeconfig: string,
  ref: string,
): Promise<{ vm: VmProcess; instance: InstanceJson }> {
  const instance = await readInstance(kubeconfig, ref);
  const uid = instance.metadata.uid ?? '';
  const vm = await findQemu(uid);
  if (!vm) {
    throw new Error(
      `no QEMU of Instance ${ref} (uid ${uid}) runs on this machine: see kubectl get ecs and kubectl describe ecs`,
    );
  }
  return { vm, instance };
}

const consolePaths = (vm: VmProcess) => {
  const p = runPaths(path.dirname(path.dirname(vm.dir)), path.basename(vm.dir));
  return { socket: p.console, log: p.consoleLog };
};

/** A terminal control sequence (CSI): ESC [ parameters letter. */
const terminalEscape = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g');

/**
 * Whether a console's output ends at a prompt (`login:`, `Password:`, a shell's `#` or `$`),
 * terminal escapes aside: busybox's shell asks where the cursor is after its prompt.
 */
export function atPrompt(output: string): boolean {
  return /[:#$>]$/.test(output.replace(terminalEscape, '').trimEnd());
}

/** Ctrl-], as telnet and virsh console take it, leaves an interactive console. */
const escapeByte = 0x1d;

/**
 * Attaches to the serial console. From a terminal: raw, until Ctrl-]. From a pipe: each line
 * is typed once the console asks for it (a login prompt reads its password only after asking),
 * and the command ends when the input has and the console is quiet at a prompt again.
 */
async function attach(socketPath: string, out: NodeJS.WriteStream): Promise<void> {
  const sock = net.connect(socketPath);
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', resolve);
    sock.once('error', reject);
  });
  let said = '';
  let lastOutput = Date.now();
  sock.on('data', (d: Buffer) => {
    lastOutput = Date.now();
    said += d.toString('latin1');
    out.write(d);
  });
  const closed = new Promise<void>((resolve) =>
    sock.once('close', () => {
      resolve();
    }),
  );
  const stdin = process.stdin;
  if (stdin.isTTY) {
    out.write('connected to the serial console; Ctrl-] leaves\r\n');
    stdin.setRawMode(true);
    stdin.on('data', (d: Buffer) => {
      if (d.includes(escapeByte)) sock.end();
      else sock.write(d);
    });
    await closed;
    stdin.setRawMode(false);
    stdin.pause();
    return;
  }
  // The next line goes once the console asks for it: a prompt (`login:`, `Password:`, `#`)
  // after what the last line made it say, and a moment of quiet; at most 15 s.
  const prompted = async (from: number) => {
    const until = Date.now() + 15_000;
    while (Date.now() < until) {
      const quiet = Date.now() - lastOutput > 300;
      if (quiet && atPrompt(said.slice(from))) return;
      await sleep(50);
    }
  };
  let text = '';
  for await (const chunk of stdin) text += String(chunk);
  const lines = text.split('\n');
  if (text.endsWith('\n') || text === '') lines.pop();
  if (lines.length === 0) {
    sock.end();
    return;
  }
  // The first line goes at once: an idle console says nothing until it is typed to.
  let from: number | undefined;
  for (const line of lines) {
    if (from !== undefined) await prompted(from);
    from = said.length;
    sock.write(`${line}\r`);
  }
  await prompted(from ?? said.length);
  sock.end();
  out.write('\n');
}

/** The greeting and security types of an RFB (VNC) server, read from inside `netns`. */
async function rfbHello(netns: string, endpoint: string): Promise<string> {
  const [host = '127.0.0.1', port = '5900'] = endpoint.split(':');
  const script = `const s=require('net').connect(${port},${JSON.stringify(host)});let b=Buffer.alloc(0),sent=false;s.on('data',d=>{b=Buffer.concat([b,d]);if(!sent&&b.length>=12){sent=true;s.write(b.subarray(0,12));}if(sent&&b.length>=13&&b.length>=13+b[12]){console.log(b.subarray(0,11).toString()+'|'+[...b.subarray(13,13+b[12])].join(','));process.exit(0);}});s.on('error',e=>{console.error(e.message);process.exit(1)});setTimeout(()=>process.exit(2),5000);`;
  const r = await exec('nsenter', [`--net=${netns}`, '--', process.execPath, '-e', script], {
    timeout: 10_000,
  });
  return r.stdout.trim();
}

/** How long a refused password is tried again (it may have just changed). */
const vncRetryMs = 15_000;

const rfbSecurity: Record<string, string> = { '1': 'none', '2': 'VNC password' };

export async function consoleMain(kubeconfig: string, argv: string[]): Promise<number> {
  const [what, ref, ...rest] = argv;
  if (ref === undefined) return usage();
  const { vm, instance } = await vmOf(kubeconfig, ref);
  if (what === 'console' && rest.length === 0) {
    await attach(consolePaths(vm).socket, process.stdout);
    return 0;
  }
  if (what === 'console' && rest.length === 1 && rest[0] === '--log') {
    process.stdout.write(await readFile(consolePaths(vm).log, 'utf8'));
    return 0;
  }
  if (what === 'vnc' && rest.length === 0) {
    const endpoint = instance.status?.console?.vncEndpoint;
    if (endpoint === undefined) throw new Error(`Instance ${ref} reports no VNC endpoint yet`);
    const netns = `/proc/${String(vm.pid)}/ns/net`;
    const [version = '', types = ''] = (await rfbHello(netns, endpoint)).split('|');
    const auth = types
      .split(',')
      .map((t) => rfbSecurity[t] ?? `type ${t}`)
      .join(', ');
    console.log(
      `VNC of ${ref}: ${endpoint} in the network namespace ${netns} (QEMU's: its agent's)`,
    );
    console.log(`it answers ${version}, security: ${auth}`);
    const secret = instance.status?.vncPasswordSecretRef?.name;
    if (secret === undefined) {
      console.log('its Instance names no VNC password Secret yet (status.vncPasswordSecretRef)');
      return 1;
    }
    const ns = instance.metadata.namespace ?? '';
    const readPassword = async () => {
      const r = await kubectl(kubeconfig, [
        'get',
        'secret',
        secret,
        '-n',
        ns,
        '-o',
        'jsonpath={.data.password}',
      ]);
      if (r.code !== 0) throw new Error(`reading Secret ${ns}/${secret}: ${r.stderr.trim()}`);
      return Buffer.from(r.stdout.trim(), 'base64').toString('latin1');
    };
    // A password just changed takes the manager and the host's agent a moment to reach QEMU.
    const until = Date.now() + vncRetryMs;
    let login = await vncLogin(netns, endpoint, await readPassword());
    while (login.result !== 0 && Date.now() < until) {
      await sleep(1_000);
      login = await vncLogin(netns, endpoint, await readPassword());
    }
    console.log(
      login.result === 0
        ? `the password in Secret ${ns}/${secret} (key password) logs in`
        : `the password in Secret ${ns}/${secret} is refused: ${login.reason}`,
    );
    return login.result === 0 ? 0 : 1;
  }
  return usage();
}

function usage(): number {
  console.error(
    [
      'usage: node hack/demo/cli.ts console <namespace>/<instance>        the serial console (Ctrl-] leaves)',
      '       node hack/demo/cli.ts console <namespace>/<instance> --log  what it has printed',
      '       node hack/demo/cli.ts vnc <namespace>/<instance>            where VNC listens, and whether its password logs in',
    ].join('\n'),
  );
  return 2;
}
