// Restarting one OVN component restarts nothing else: after the northbound database is
// killed, `up` starts it alone, and ovs-vswitchd, ovn-controller and a port plugged into
// br-int stay; `make demo`'s OVN start keeps a running data plane. `make status` reports the
// real processes as they are.
import { mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '../../../hack/cluster/index.ts';
import { startDemoOvn } from '../../../hack/demo/ovn.ts';
import { ovnGroups } from '../../../hack/demo/status.ts';
import {
  componentOrder,
  down,
  nbctl,
  ovnLayout,
  readState,
  sbctl,
  startGuest,
  status,
  up,
  vsctl,
  type Guest,
  type OvnLayout,
} from '../../../hack/ovn/index.ts';
import { waitFor } from '../../harness/index.ts';

const chassis = 'kcloud-restart-one';
let runDir = '';
let guest: Guest | undefined;
const layout = (): OvnLayout => ovnLayout(runDir);

beforeAll(async () => {
  const base = path.join(repoRoot, '.local', 'test-runs');
  await mkdir(base, { recursive: true });
  runDir = await mkdtemp(path.join(base, 'ovn-restart-'));
  await up(layout(), { dataPlane: true, chassis });
  guest = await startGuest(layout(), {
    name: 'keep1',
    ifaceId: 'lsp-keep',
    mac: '0a:00:00:00:00:11',
    address: '10.0.0.11/24',
  });
});

afterAll(async () => {
  await guest?.close();
  if (runDir) await down(layout(), { purge: true });
});

async function pids(): Promise<Record<string, number>> {
  const state = await readState(layout());
  return Object.fromEntries((state?.processes ?? []).map((p) => [p.name, p.pid]));
}

async function brIntPorts(): Promise<string[]> {
  const r = await vsctl(layout(), ['list-ports', 'br-int']);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout.trim().split('\n');
}

describe('restarting one OVN component', () => {
  it('after the northbound database is killed, up starts it alone and the plugged port stays', async () => {
    const before = await pids();
    expect(Object.keys(before).sort()).toEqual([...componentOrder({ dataPlane: true })].sort());
    expect(await brIntPorts()).toContain('keep1-o');

    process.kill(before['ovsdb-nb'] ?? 0, 'SIGKILL');
    await waitFor(async () => (await status(layout())).alive['ovsdb-nb'] === false, {
      what: 'status to report the northbound database dead',
    });
    const [ovn] = await ovnGroups(layout());
    expect(ovn?.rows.find((r) => r.name === 'ovsdb-nb')).toMatchObject({
      pid: before['ovsdb-nb'],
      state: 'down',
    });
    expect(ovn?.rows.find((r) => r.name === 'ovs-vswitchd')).toMatchObject({
      pid: before['ovs-vswitchd'],
      state: 'ready',
    });

    const info = await up(layout());
    expect(info.started).toBe(true);
    const after = await pids();
    expect(after['ovsdb-nb']).not.toBe(before['ovsdb-nb']);
    for (const name of componentOrder({ dataPlane: true }).filter((n) => n !== 'ovsdb-nb')) {
      expect([name, after[name]]).toEqual([name, before[name]]);
    }
    expect((await status(layout())).ready).toBe(true);

    // The port and the guest's eth0 are still there, and ovn-controller still binds ports.
    expect(await brIntPorts()).toContain('keep1-o');
    expect((await guest?.exec(['ip', 'link', 'show', 'eth0']))?.code).toBe(0);
    const add = await nbctl(layout(), [
      'ls-add',
      'sw0',
      '--',
      'lsp-add',
      'sw0',
      'lsp-keep',
      '--',
      'lsp-set-addresses',
      'lsp-keep',
      '0a:00:00:00:00:11 10.0.0.11',
    ]);
    expect(add.stderr).toBe('');
    await waitFor(
      async () =>
        (
          await sbctl(layout(), [
            '--bare',
            '--columns=chassis',
            'find',
            'Port_Binding',
            'logical_port=lsp-keep',
          ])
        ).stdout.trim() !== '',
      { what: 'the surviving ovn-controller to bind the surviving port' },
    );
  });

  it("make demo's OVN start keeps a running data plane, PIDs and ports", async () => {
    const before = await pids();
    const lines: string[] = [];
    const info = await startDemoOvn(layout(), undefined, (l) => lines.push(l));
    expect(lines[0]).toBe('data plane on (it runs already)');
    expect(info.started).toBe(false);
    expect(info.options.dataPlane).toBe(true);
    expect(await pids()).toEqual(before);
    expect(await brIntPorts()).toContain('keep1-o');
  });
});
