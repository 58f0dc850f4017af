// hack/ovn: a real OVN (ovsdb-server, ovn-northd) and a data plane (Open vSwitch on the
// userspace datapath, ovn-controller) as processes of a run folder of this file's own, started
// and stopped by PID. northd turns NB writes into SB records, ovn-controller binds a port,
// a killed northbound database comes back on the same socket and port with its data, and
// `down` stops exactly what `up` started.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { realClock } from '../../../controllers/clock/index.ts';
import { repoRoot, residentBytes } from '../../../hack/cluster/index.ts';
import {
  chassisRegistered,
  componentOrder,
  connection,
  dataPlaneNetns,
  down,
  nbctl,
  ovnLayout,
  readState,
  sbctl,
  startComponent,
  status,
  trace,
  up,
  vsctl,
  type CtlResult,
  type OvnLayout,
} from '../../../hack/ovn/index.ts';
import { waitFor } from '../../harness/index.ts';

const chassis = 'kcloud-test-hv1';
let runDir = '';
const layout = (): OvnLayout => ovnLayout(runDir);

afterAll(async () => {
  if (runDir) await down(layout(), { purge: true });
});

/**
 * True while the process runs. A stopped child of this test process stays a zombie until Node
 * reaps it, and a zombie has exited: it only waits for its parent.
 */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2).charAt(0));
  } catch {
    return false;
  }
}

function ok(r: CtlResult): string {
  if (r.code !== 0) throw new Error(`exit ${String(r.code)}: ${r.stderr}`);
  return r.stdout.trim();
}

/** One column of the SB records matching `conditions`, as `--bare` prints it. */
async function sbColumn(table: string, column: string, ...conditions: string[]): Promise<string> {
  return ok(await sbctl(layout(), ['--bare', `--columns=${column}`, 'find', table, ...conditions]));
}

describe('a local OVN', () => {
  it('starts with the data plane, and a second up starts nothing', async () => {
    const base = path.join(repoRoot, '.local', 'test-runs');
    await mkdir(base, { recursive: true });
    runDir = await mkdtemp(path.join(base, 'ovn-'));

    const controlStart = realClock.now();
    const control = await up(layout(), { dataPlane: false, chassis });
    const controlMs = realClock.now() - controlStart;
    expect(control.processes.map((p) => p.name)).toEqual(componentOrder({ dataPlane: false }));
    // Switching the data plane on adds it; the control plane keeps running.
    const fullStart = realClock.now();
    const first = await up(layout(), { dataPlane: true, chassis });
    const fullMs = realClock.now() - fullStart;
    console.log(
      `up: ${String(controlMs)} ms without the data plane, ${String(fullMs)} ms to restart with it\n` +
        first.processes
          .map((p) => `${p.name}: ${(residentBytes(p.pid) / 2 ** 20).toFixed(1)} MiB resident`)
          .join('\n'),
    );
    expect(first.started).toBe(true);
    expect(first.processes.map((p) => p.name)).toEqual(componentOrder({ dataPlane: true }));
    for (const p of first.processes) expect(residentBytes(p.pid)).toBeGreaterThan(0);
    expect(first.processes.slice(0, control.processes.length)).toEqual(control.processes);

    const c = first.connection;
    expect(c.nb.unix).toBe(`unix:${path.join(runDir, 'ovnnb_db.sock')}`);
    expect(c.sb.unix).toBe(`unix:${path.join(runDir, 'ovnsb_db.sock')}`);
    expect(c.nb.tcp).toMatch(/^tcp:127\.0\.0\.1:\d+$/);
    expect(c.sb.tcp).not.toBe(c.nb.tcp);
    expect(await connection(layout())).toEqual(c);

    const again = await up(layout());
    expect(again.started).toBe(false);
    expect(again.processes).toEqual(first.processes);
    expect(again.options).toEqual({ dataPlane: true, chassis });
  });

  it('northd turns a logical switch into a southbound datapath', async () => {
    ok(await nbctl(layout(), ['ls-add', 'sw0']));
    await waitFor(
      async () => (await sbColumn('Datapath_Binding', 'external_ids')).includes('name=sw0'),
      {
        what: 'sw0 as a Datapath_Binding in the southbound database',
        describe: () => sbColumn('Datapath_Binding', 'external_ids'),
      },
    );
  });

  it('registers the chassis with its geneve endpoint', async () => {
    expect(await chassisRegistered(layout(), chassis)).toBe(true);
    expect(await sbColumn('Encap', 'type', `chassis_name=${chassis}`)).toBe('geneve');
    expect(await sbColumn('Encap', 'ip', `chassis_name=${chassis}`)).toBe('127.0.0.1');
  });

  it('binds a port plugged into br-int to this chassis', async () => {
    ok(
      await nbctl(layout(), [
        'lsp-add',
        'sw0',
        'lsp1',
        '--',
        'lsp-set-addresses',
        'lsp1',
        '00:00:00:00:00:01 10.0.0.1',
      ]),
    );
    // An internal port of a netdev bridge is a tap device ovs-vswitchd creates.
    ok(
      await vsctl(layout(), [
        'add-port',
        'br-int',
        'p1',
        '--',
        'set',
        'Interface',
        'p1',
        'type=internal',
        'external_ids:iface-id=lsp1',
      ]),
    );
    const chassisUuid = await sbColumn('Chassis', '_uuid', `name=${chassis}`);
    expect(chassisUuid).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor(
      async () => (await sbColumn('Port_Binding', 'chassis', 'logical_port=lsp1')) === chassisUuid,
      {
        what: 'ovn-controller to bind lsp1 to its chassis',
        describe: () =>
          sbctl(layout(), ['find', 'Port_Binding', 'logical_port=lsp1']).then((r) => r.stdout),
      },
    );
    expect(await sbColumn('Port_Binding', 'up', 'logical_port=lsp1')).toBe('true');
    expect(ok(await vsctl(layout(), ['get', 'Interface', 'p1', 'ofport']))).toMatch(/^[1-9]\d*$/);

    // The tap device exists in ovs-vswitchd's own network namespace, not in ours.
    const netns = await dataPlaneNetns(layout());
    expect(await readlink(netns)).not.toBe(await readlink('/proc/self/ns/net'));
    const { stdout } = await promisify(execFile)('nsenter', [
      `--net=${netns}`,
      'ip',
      '-o',
      'link',
      'show',
      'p1',
    ]);
    expect(stdout).toContain('p1');

    const traced = ok(
      await trace(layout(), [
        'sw0',
        'inport == "lsp1" && eth.src == 00:00:00:00:00:01 && eth.dst == ff:ff:ff:ff:ff:ff',
      ]),
    );
    expect(traced).toContain('ingress(dp="sw0", inport="lsp1")');
  });

  it('brings a killed northbound database back on the same socket and port with its data', async () => {
    const before = await readState(layout());
    const nb = before?.processes.find((p) => p.name === 'ovsdb-nb');
    expect(nb).toBeDefined();
    process.kill(nb?.pid ?? 0, 'SIGKILL');
    const dead = await waitFor(
      async () => {
        const s = await status(layout());
        return s.alive['ovsdb-nb'] === false && s;
      },
      { what: 'status to report the northbound database dead' },
    );
    expect(dead.ready).toBe(false);
    expect(dead.alive['ovsdb-sb']).toBe(true);
    expect((await nbctl(layout(), ['ls-list'], { timeoutSeconds: 1 })).code).not.toBe(0);

    const restarted = await startComponent(layout(), 'ovsdb-nb');
    expect(restarted.pid).not.toBe(nb?.pid);
    const after = await readState(layout());
    expect(after?.ports).toEqual(before?.ports);
    expect(ok(await nbctl(layout(), ['ls-list']))).toContain('(sw0)');
    // Over TCP too, at the address handed out before the crash.
    const { nb: remotes } = await connection(layout());
    expect(ok(await nbctl(layout(), ['lsp-list', 'sw0'], { db: remotes.tcp }))).toContain('(lsp1)');
    // northd picks the database up again: a new switch reaches the southbound database.
    ok(await nbctl(layout(), ['--wait=sb', 'ls-add', 'sw1']));
    expect(await sbColumn('Datapath_Binding', 'external_ids', 'external_ids:name=sw1')).toContain(
      'name=sw1',
    );
    expect((await status(layout())).ready).toBe(true);
  });

  it('recovers from a crash: up starts what died on the same data and keeps the survivors', async () => {
    const before = (await readState(layout()))?.processes ?? [];
    const northd = before.find((p) => p.name === 'ovn-northd');
    const vswitchd = before.find((p) => p.name === 'ovs-vswitchd');
    process.kill(northd?.pid ?? 0, 'SIGKILL');
    process.kill(vswitchd?.pid ?? 0, 'SIGKILL');
    await waitFor(async () => !(await status(layout())).ready, {
      what: 'the instance to be not ready',
    });

    const info = await up(layout());
    expect(info.started).toBe(true);
    for (const old of before) {
      const killed = old.name === 'ovn-northd' || old.name === 'ovs-vswitchd';
      expect([old.name, alive(old.pid)]).toEqual([old.name, !killed]);
    }
    for (const p of info.processes) expect(alive(p.pid)).toBe(true);
    expect(info.connection).toEqual(await connection(layout()));
    expect(ok(await nbctl(layout(), ['ls-list']))).toContain('(sw0)');
    // The port is still configured in conf.db; the new ovs-vswitchd recreates its device and
    // the new ovn-controller claims it again.
    ok(await nbctl(layout(), ['--wait=hv', 'sync']));
    expect(await sbColumn('Port_Binding', 'up', 'logical_port=lsp1')).toBe('true');
    const netns = await dataPlaneNetns(layout());
    const { stdout } = await promisify(execFile)('nsenter', [
      `--net=${netns}`,
      'ip',
      '-o',
      'link',
      'show',
      'p1',
    ]);
    expect(stdout).toContain('p1');
  });

  it('down stops exactly the recorded processes and keeps the databases', async () => {
    // An unrelated process of the same user must survive `down`.
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const recorded = (await readState(layout()))?.processes ?? [];
      expect(recorded.map((p) => p.name).sort()).toEqual(
        [...componentOrder({ dataPlane: true })].sort(),
      );
      await down(layout());
      for (const p of recorded) expect(alive(p.pid)).toBe(false);
      expect(alive(bystander.pid ?? 0)).toBe(true);
      expect((await readState(layout()))?.processes).toEqual([]);
      expect((await status(layout())).ready).toBe(false);

      const restarted = await up(layout());
      expect(restarted.started).toBe(true);
      expect(ok(await nbctl(layout(), ['ls-list']))).toMatch(/\(sw0\)[\s\S]*\(sw1\)/);
    } finally {
      bystander.kill();
    }
  });
});
