#!/usr/bin/env node
// Runs a long-running kcloud program (kcloud-manager, kcloud-agent) as a documentation command
// line gives it, for a short life: it must start, answer /readyz, and stop cleanly on SIGTERM.
// The documentation test puts it in place of `node <program> ...` for programs with a health
// endpoint.
//
//   node test/integration/docs/run-daemon.ts <program> [flags as documented...]
//
// What it changes, and why (the test's cluster and OVN are shared with other tests):
// - first, flags the program declares that keep it to the test's own space: --namespace,
//   --leader-election-namespace and --hosts-namespace (KCLOUD_DOCS_DAEMON_NAMESPACE),
//   --quota-webhook=false (its configuration would be cluster-wide), and --health-addr on a
//   free loopback port; flags the documentation gives come after them and win;
// - --ovn-nb values that name a host other than this one become the test's own OVN
//   (KCLOUD_DOCS_OVN_NB), and --health-addr values the test's port; any other address that is
//   not loopback stops the run: the test never sends traffic off the machine.
import { spawn } from 'node:child_process';
import { freePort, repoRoot } from '../../../hack/cluster/index.ts';
import { declaredFlags } from './program-flags.ts';

const deadlineMs = 90_000;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

function loopbackOnly(endpoints: string): boolean {
  return endpoints
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .every(
      (e) => e.startsWith('unix:') || /^(tcp|ssl):(127\.\d+\.\d+\.\d+|localhost|\[::1\]):/.test(e),
    );
}

function rewrite(args: string[], port: number, ovnNb: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const m = /^--(ovn-nb|health-addr)(?:=(.*))?$/.exec(arg);
    if (!m) {
      out.push(arg);
      continue;
    }
    const flag = m[1] ?? '';
    let value = m[2];
    if (value === undefined) value = args[++i] ?? '';
    if (flag === 'health-addr') value = `127.0.0.1:${String(port)}`;
    else if (!loopbackOnly(value)) value = ovnNb;
    out.push(`--${flag}=${value}`);
  }
  return out;
}

async function readyz(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${String(port)}/readyz`, {
      signal: AbortSignal.timeout(2_000),
    });
    return res.status === 200;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const [program, ...documented] = process.argv.slice(2);
  if (!program) fail('usage: run-daemon.ts <program> [flags...]');
  const namespace = process.env.KCLOUD_DOCS_DAEMON_NAMESPACE;
  const ovnNb = process.env.KCLOUD_DOCS_OVN_NB;
  if (!namespace || !ovnNb) fail('KCLOUD_DOCS_DAEMON_NAMESPACE and KCLOUD_DOCS_OVN_NB must be set');
  const declared = await declaredFlags(repoRoot, program);
  const port = await freePort();
  const first = [`--health-addr=127.0.0.1:${String(port)}`];
  for (const flag of ['namespace', 'leader-election-namespace', 'hosts-namespace']) {
    if (declared.has(flag)) first.push(`--${flag}=${namespace}`);
  }
  // The quota webhook's configuration is admission for the whole cluster: one left behind by a
  // daemon that lives for seconds would refuse creates in every project of the shared cluster.
  if (declared.has('quota-webhook')) first.push('--quota-webhook=false');
  const args = [...first, ...rewrite(documented, port, ovnNb)];
  const elsewhere = args.find((a) => {
    const ip = /\b(\d{1,3})\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/.exec(a);
    return ip !== null && ip[1] !== '127';
  });
  if (elsewhere) fail(`${elsewhere}: an address off this machine; the test reaches only loopback`);

  const child = spawn(process.execPath, [program, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const state: { exit?: number | null } = {};
  // Read through a function: the exit handler sets it while this function awaits.
  const exitCode = () => state.exit;
  const exited = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      state.exit = code ?? (signal ? -1 : null);
      resolve();
    });
  });
  const tail = () => output.trim().split('\n').slice(-15).join('\n');
  const started = Date.now();
  for (;;) {
    if (exitCode() !== undefined)
      fail(`${program} exited with ${String(exitCode())} before it was ready:\n${tail()}`);
    if (await readyz(port)) break;
    if (Date.now() - started > deadlineMs) {
      child.kill('SIGKILL');
      fail(`${program} was not ready within ${String(deadlineMs / 1000)} s:\n${tail()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const stopped = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((r) => {
      timer = setTimeout(() => {
        r(false);
      }, 30_000);
    }),
  ]);
  // The timer would keep this process 30 s longer after a clean stop.
  clearTimeout(timer);
  if (!stopped) {
    child.kill('SIGKILL');
    fail(`${program} did not stop on SIGTERM:\n${tail()}`);
  }
  if (exitCode() !== 0) fail(`${program} exited with ${String(exitCode())} on SIGTERM:\n${tail()}`);
}

main().catch((err: unknown) => fail(err instanceof Error ? err.message : String(err)));
