// hack/ovn.sh guest, driven as a user drives it (the "with packets" walkthrough of
// docs/vpc.md): the command line starts OVN with its data plane, the VPC operator programs the
// demo sample, two guests are plugged in for its two NetworkInterfaces, ICMP between them is
// denied until a SecurityGroup admits it, and deleting the guests leaves nothing behind.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '../../../hack/cluster/index.ts';
import { dataPlaneNetns, down, ovnLayout, vsctl, type OvnLayout } from '../../../hack/ovn/index.ts';
import { addVpcOperator } from '../../../operators/vpc/index.ts';
import { startManager, useTestCluster, type RunningManager } from '../../harness/index.ts';

const cluster = useTestCluster('guests');
const apiVersion = 'vpc.kcloud.io/v1alpha1';
let runDir = '';
let running: RunningManager | undefined;
const layout = (): OvnLayout => ovnLayout(runDir);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `hack/ovn.sh ARGS` against this test's OVN run folder and cluster. */
function ovnSh(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      [path.join(repoRoot, 'hack/ovn.sh'), ...args],
      {
        env: { ...process.env, KCLOUD_OVN_DIR: runDir, KUBECONFIG: cluster.kubeconfigPath },
        timeout: 120_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function ok(args: string[]): Promise<string> {
  const r = await ovnSh(args);
  if (r.code !== 0) {
    throw new Error(
      `hack/ovn.sh ${args.join(' ')}: exit ${String(r.code)}\n${r.stdout}${r.stderr}`,
    );
  }
  return r.stdout;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2).charAt(0));
  } catch {
    return false;
  }
}

beforeAll(async () => {
  const base = path.join(repoRoot, '.local', 'test-runs');
  await mkdir(base, { recursive: true });
  runDir = await mkdtemp(path.join(base, 'ovn-guests-'));
  await ok(['up', '--data-plane', '--chassis=kcloud-guest-cli']);
  running = await startManager(
    (mgr) => {
      addVpcOperator(mgr, { nbEndpoints: [`unix:${layout().nb.socket}`] });
    },
    { namespace: cluster.namespace },
  );
});

afterAll(async () => {
  await running?.stop();
  if (runDir) await down(layout(), { purge: true });
});

describe('hack/ovn.sh guest', () => {
  it("puts packets on the demo sample's interfaces, and leaves nothing behind", async () => {
    const ns = cluster.namespace;
    await cluster.apply(
      await readFile(path.join(repoRoot, 'operators/vpc/samples/vpc.yaml'), 'utf8'),
    );
    const db = await cluster.waitForCondition(
      { apiVersion, kind: 'NetworkInterface', name: 'demo-db-1' },
      'Ready',
    );
    await cluster.waitForCondition(
      { apiVersion, kind: 'NetworkInterface', name: 'demo-web-1' },
      'Ready',
    );
    const dbIp = String(db.status?.ipAddress);
    expect(dbIp).toBe('10.10.2.10');

    const web = await ok(['guest', 'add', `${ns}/demo-web-1`]);
    expect(web).toMatch(
      /plugged in as port \S+ \(guest g[0-9a-f]{10}, pid \d+\): eth0 \S+ 10\.10\.1\.\d+\/24 via 10\.10\.1\.1/,
    );
    await ok(['guest', 'add', `${ns}/demo-db-1`]);
    // Adding again keeps the guest.
    expect(await ok(['guest', 'add', `${ns}/demo-db-1`])).toMatch(/already plugged in/);
    const eth0 = await ok([
      'guest',
      'exec',
      `${ns}/demo-db-1`,
      '--',
      'ip',
      '-o',
      'address',
      'show',
      'eth0',
    ]);
    expect(eth0).toContain(`inet ${dbIp}/24`);

    // As docs/vpc.md shows them: one echo, waiting a second for its reply; or retried for up
    // to 10 s while a change reaches the data plane.
    const ping = (wait: string[]) =>
      ovnSh(['guest', 'exec', `${ns}/demo-web-1`, '--', 'ping', '-c', '1', ...wait, dbIp]);
    // demo-db-1 has no SecurityGroup: inbound, ICMP included, is denied.
    expect((await ping(['-W', '1'])).code).toBe(1);

    const kubectlOk = async (args: string[], input?: string) => {
      const r = await cluster.kubectl(args, input);
      if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    };
    await kubectlOk(
      ['apply', '-n', ns, '-f', '-'],
      `apiVersion: ${apiVersion}
kind: SecurityGroup
metadata: { name: demo-ping }
spec:
  vpcRef: { name: demo }
  rules:
    - { name: icmp, direction: Ingress, protocol: ICMP, remoteCIDR: 10.10.0.0/16 }
`,
    );
    await kubectlOk([
      'patch',
      '-n',
      ns,
      'eni',
      'demo-db-1',
      '--type=merge',
      '-p',
      '{"spec":{"securityGroupRefs":[{"name":"demo-ping"}]}}',
    ]);
    const answered = await ping(['-w', '10']);
    expect([answered.code, answered.stdout]).toEqual([
      0,
      expect.stringMatching(/ [1-9]\d* received/),
    ]);

    // ovs-vswitchd dies, and its veth ends with it: `up` starts it alone and plugs both
    // guests in again.
    const state = JSON.parse(await readFile(path.join(runDir, 'state.json'), 'utf8')) as {
      processes: { name: string; pid: number }[];
    };
    const vswitchd = state.processes.find((p) => p.name === 'ovs-vswitchd')?.pid ?? 0;
    process.kill(vswitchd, 'SIGKILL');
    expect(await ok(['guest', 'list'])).toMatch(/unplugged \(ovs-vswitchd stopped/);
    const upAgain = await ok(['up']);
    expect(upAgain).toContain(`plugged the guest of ${ns}/demo-web-1 in again`);
    expect(upAgain).toContain(`plugged the guest of ${ns}/demo-db-1 in again`);
    const replugged = await ping(['-w', '10']);
    expect([replugged.code, replugged.stdout]).toEqual([
      0,
      expect.stringMatching(/ [1-9]\d* received/),
    ]);

    const listed = await ok(['guest', 'list']);
    expect(listed).toMatch(new RegExp(`^${ns}/demo-web-1 .* plugged$`, 'm'));
    expect(listed).toMatch(new RegExp(`^${ns}/demo-db-1 .* plugged$`, 'm'));
    const guests = JSON.parse(await readFile(path.join(runDir, 'guests.json'), 'utf8')) as {
      guests: { name: string; holder: { pid: number } }[];
    };
    expect(guests.guests).toHaveLength(2);
    for (const g of guests.guests) expect(alive(g.holder.pid)).toBe(true);

    await ok(['guest', 'del', `${ns}/demo-web-1`]);
    await ok(['guest', 'del', `${ns}/demo-db-1`]);
    const again = await ovnSh(['guest', 'del', `${ns}/demo-db-1`]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('has no guest');

    // Nothing left: no namespace holder, no port in br-int, no veth in the data plane.
    for (const g of guests.guests) expect(alive(g.holder.pid)).toBe(false);
    expect(await ok(['guest', 'list'])).toBe('no guests\n');
    const ports = await vsctl(layout(), ['list-ports', 'br-int']);
    expect(ports.code).toBe(0);
    expect(ports.stdout.trim()).toBe('');
    const netns = await dataPlaneNetns(layout());
    const { stdout: links } = await promisify(execFile)('nsenter', [
      `--net=${netns}`,
      'ip',
      '-o',
      'link',
      'show',
    ]);
    for (const g of guests.guests) expect(links).not.toContain(g.name);
  });

  it('says what to do for a NIC that does not exist, and refuses a bad name', async () => {
    const missing = await ovnSh(['guest', 'add', `${cluster.namespace}/nope`]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/reading NetworkInterface .*\/nope: .*not found/);
    const bad = await ovnSh(['guest', 'add', 'nope']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('give <namespace>/<name>');
  });
});
