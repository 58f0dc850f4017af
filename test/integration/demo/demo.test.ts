// make demo, whole, as on a fresh machine: a control plane, OVN with its data plane, the
// manager and the agent of its own under one folder, every sample Ready, and the two ECS
// instances Running with their IPs, answering ping and HTTP from a namespace in the demo VPC
// and printing their ready line on the serial console; then make down stops every VM and OVN,
// and the next make demo has the agent start them again.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { down as clusterDown, kubectl, repoRoot } from '../../../hack/cluster/index.ts';
import { findQemu } from '../../../hack/demo/console.ts';
import { probeNic, type InstanceRow } from '../../../hack/demo/instances.ts';
import { placesUnder, type DemoPlaces } from '../../../hack/demo/places.ts';
import { runDemo, stopDemo } from '../../../hack/demo/run.ts';
import { instancesGroups } from '../../../hack/demo/status.ts';
import { guestCommand } from '../../../hack/ovn/guests.ts';
import { status as ovnStatus } from '../../../hack/ovn/index.ts';
import { waitFor } from '../../harness/index.ts';

const exec = promisify(execFile);

let places: DemoPlaces;
let root = '';
let instances: InstanceRow[] = [];
const said: string[] = [];

/** A command in the namespace the demo plugged into the VPC as demo-web-1. */
const fromVpc = (cmd: string[]) => {
  const [file, args] = guestCommand(places.ovn, probeNic, cmd);
  return exec(file, args, { timeout: 30_000 });
};

beforeAll(async () => {
  const base = path.join(repoRoot, '.local', 'test-runs');
  await mkdir(base, { recursive: true });
  // Short: the VMs' console sockets live under it.
  root = await mkdtemp(path.join(base, 'demo-'));
  places = placesUnder(root);
});

afterAll(async () => {
  // Whatever a failed test left: the VMs go after the agent, OVN with them, then the cluster.
  await stopDemo(places, () => undefined);
  await clusterDown(places.cluster, { purge: true });
  await rm(root, { recursive: true, force: true });
}, 180_000);

describe('make demo', () => {
  it('boots two instances in the demo VPC, Running with their IPs and answering ping', async () => {
    const began = Date.now();
    const r = await runDemo(places, {
      dataPlane: '1',
      flags: {},
      log: (line) => said.push(line),
    });
    console.log(
      `the demo took ${((Date.now() - began) / 1000).toFixed(1)} s, VMs' cold boot included`,
    );
    expect(r.dataPlane).toBe(true);
    instances = r.instances;
    expect(instances.map((i) => `${i.namespace}/${i.name}`).sort()).toEqual([
      'default/demo-vm-1',
      'default/demo-vm-2',
    ]);
    for (const i of instances) {
      expect(i).toMatchObject({ phase: 'Running', ready: true, host: 'local-host-1' });
      expect(i.ip).toMatch(/^10\.10\.1\.\d+$/);
      // The demo's own wait pinged it from the VPC: so does a user.
      expect(said).toContain(
        `default/${i.name} (${i.ip}) answers ping; its guest says it is ready`,
      );
      await fromVpc(['ping', '-c', '1', '-W', '2', i.ip]);
      const page = await fromVpc(['curl', '-sS', '--max-time', '10', `http://${i.ip}/`]);
      const hostname = i.name.replace('demo-', '');
      expect(page.stdout.split('\n')[0]).toBe(`kcloud-guest ${hostname}`);
      // The serial console says what the guest got: the seed's hostname and the DHCP address.
      const qemu = await findQemu(i.uid);
      expect(qemu).toBeDefined();
      const log = await readFile(path.join(qemu?.dir ?? '', 'console.log'), 'utf8');
      expect(log).toContain(`kcloud-guest: ready hostname=${hostname} ip=${i.ip}`);
    }
    // The serial console takes a login (the samples' password) and runs a command; VNC
    // answers in the data plane's namespace and asks for a password.
    const cli = (args: string[], input: string) =>
      exec(
        'sh',
        ['-c', `printf '${input}' | "$0" hack/demo/cli.ts "$@"`, process.execPath, ...args],
        {
          cwd: repoRoot,
          env: { ...process.env, KUBECONFIG: places.cluster.kubeconfig },
          timeout: 120_000,
        },
      );
    const shell = await cli(
      ['console', 'default/demo-vm-1'],
      '\\nroot\\nkcloud\\ncat /etc/motd\\nexit\\n',
    );
    expect(shell.stdout).toContain('root@vm-1:~#');
    expect(shell.stdout).toContain('hello from kcloud');
    const vnc = await cli(['vnc', 'default/demo-vm-1'], '');
    expect(vnc.stdout).toContain('answers RFB 003.008, security: VNC password');

    // make status lists them with their QEMU and address.
    const [group] = await instancesGroups(places.cluster.kubeconfig, true);
    expect(group?.rows.map((row) => [row.name, row.state, row.address]).sort()).toEqual(
      instances.map((i) => [`default/${i.name}`, 'ready', i.ip]).sort(),
    );

    // The API server puts the metering finalizer on at create: the demo's manager meters.
    const probe = await kubectl(
      places.cluster.kubeconfig,
      ['create', '--dry-run=server', '-o', 'jsonpath={.metadata.finalizers}', '-f', '-'],
      JSON.stringify({
        apiVersion: 'eip.kcloud.io/v1alpha1',
        kind: 'EIP',
        metadata: { name: 'metering-probe', namespace: 'default' },
        spec: { poolRef: { name: 'public' } },
      }),
    );
    expect(probe.stderr).toBe('');
    expect(probe.stdout).toBe('["platform.kcloud.io/metering"]');

    // The demo's manager serves the audit log through the API server (docs/audit.md): the
    // samples' apply of the demo VPC is in the default namespace's view.
    const applied = await waitFor(
      async () => {
        const r = await kubectl(places.cluster.kubeconfig, [
          'get',
          'auditrecords',
          '-n',
          'default',
          '--field-selector=resource=vpcs.vpc.kcloud.io,objectName=demo',
          '-o',
          'json',
        ]);
        if (r.code !== 0) return undefined;
        const items = (JSON.parse(r.stdout) as { items: { verb: string; user: string }[] }).items;
        return items.length > 0 ? items : undefined;
      },
      { timeoutMs: 60_000, what: 'the audit view to show the demo VPC applied' },
    );
    expect(applied.map((a) => a.verb)).toContain('patch');
  }, 900_000);

  it('make down stops every VM and OVN', async () => {
    expect(instances).toHaveLength(2);
    await stopDemo(places, (line) => said.push(line));
    for (const i of instances) expect(await findQemu(i.uid)).toBeUndefined();
    const ovn = await ovnStatus(places.ovn);
    expect(ovn.state?.processes).toEqual([]);
  }, 300_000);

  it('make demo again: the agent starts the same instances again, and they answer', async () => {
    said.length = 0;
    const began = Date.now();
    const again = await runDemo(places, {
      dataPlane: '1',
      flags: {},
      log: (line) => said.push(line),
    });
    console.log(`make demo after make down took ${((Date.now() - began) / 1000).toFixed(1)} s`);
    expect(again.instances.map((i) => i.uid).sort()).toEqual(instances.map((i) => i.uid).sort());
    for (const i of again.instances) {
      expect(await findQemu(i.uid)).toBeDefined();
      expect(said).toContain(
        `default/${i.name} (${i.ip}) answers ping; its guest says it is ready`,
      );
    }
  }, 600_000);
});
