// kcloud installed with its Helm chart on a real local node: images built here and imported
// into the node's containerd, every pod Ready, the VPC sample reconciled by the manager pods
// into the OVN the chart runs, the leader pod deleted and the standby taking over, a
// `helm upgrade` rolling the manager without losing state, and `helm uninstall` leaving no
// pods, RBAC or OVN state (the CRDs stay, as Helm keeps them). OVN's databases speak only TLS
// with client certificates from the chart's CA, and a NetworkPolicy (enforced on the node by
// kube-router) keeps every other pod from reaching them at all. The chart's agent, with the host
// tools its image carries, probes the hypervisor, makes EVS volumes in a pool on the node, and
// boots an Instance with its image's QEMU that answers ping and outlives the agent pod.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse, stringify } from 'yaml';
import { kubectl, repoRoot, residentBytes, type RunLayout } from '../../hack/cluster/index.ts';
import { chartDir, helm, helmOk, localClusterValues, memberNbctl } from '../../hack/chart/index.ts';
import { buildImages, importImages, type BuiltImage } from '../../hack/images/index.ts';
import { down, importGoImage, nodeLayout, up, type NodeLayout } from '../../hack/node/index.ts';
import { clientExtensions, readBase64, selfSignedCa, signedCert } from '../../hack/cluster/pki.ts';
import { cgroupPids } from '../../hack/node/host.ts';
import { cgroupRoot } from '../../hack/node/layout.ts';
import { shimPids } from '../../hack/node/runtime.ts';
import { chartRules } from '../../hack/generate/rbac.ts';
import { guestDir, readDemoGuest } from '../../hack/guest/index.ts';
import { parseClusterStatus, type RaftStatus } from '../../hack/ovn/index.ts';
import { addHostLifecycleController, addInstanceController } from '../../operators/ecs/index.ts';
import { findVmProcess, runPaths } from '../../operators/ecs/backend/qemu/index.ts';
import { addEvsControllers } from '../../operators/evs/index.ts';
import { canIList, minus, permissionsOf } from '../harness/can-i.ts';
import { startManager, waitFor } from '../harness/index.ts';
import {
  acquireNodeLock,
  kubectlOn,
  nodeTestCluster,
  releaseNodeLock,
  releaseNodeTestCluster,
  type NodeTestCluster,
} from './node-fixture.ts';
import { plugProbe, type Probe } from './probe-netns.ts';

const suffix = randomBytes(3).toString('hex');
/** The release's namespace; the manager watches only `tenant`, as the control plane is shared. */
const system = `kcloud-${suffix}`;
const tenant = `tenant-${suffix}`;
const release = 'kcloud';
const sample = path.join(repoRoot, 'operators', 'vpc', 'samples', 'vpc.yaml');
const netcheckImage = 'kcloud.local/netcheck:1';
const netcheckSource = path.join(repoRoot, 'test', 'cluster', 'netcheck', 'main.go');
/** Pods the test's own NetworkPolicy admits to OVN central, to try its TLS. */
const probeLabel = { 'kcloud-test': 'ovn-probe' };

let cluster: RunLayout;
let testCluster: NodeTestCluster | undefined;
let layout: NodeLayout;
let images: BuiltImage[] = [];
let valuesFile: string;
/** The host folders the chart was given (under the node's run folder). */
let hostPaths: {
  storagePools: string;
  imageImport: string;
  agentState: string;
  ovsRun: string;
  ovnCentral: string;
};
/** Below each cgroup hierarchy: the node's own subtree, which its `down` empties. */
const vmCgroup = `${cgroupRoot}/kcloud-vms`;
let locked = false;
let installed = false;

const { k, getJson } = kubectlOn(() => cluster);
const exec = promisify(execFile);

interface Condition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

interface Pod {
  metadata: {
    name: string;
    uid: string;
    creationTimestamp: string;
    labels?: Record<string, string>;
  };
  spec: { containers: { name: string; args?: string[] }[] };
  status?: { phase?: string; conditions?: Condition[] };
}

const component = (p: Pod) => p.metadata.labels?.['app.kubernetes.io/component'] ?? '?';
const podReady = (p: Pod) =>
  p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

async function pods(): Promise<Pod[]> {
  return (await getJson<{ items: Pod[] }>(['get', 'pods', '-n', system])).items;
}

/** Every pod of the release Ready, with the expected number per component. */
async function allReady(expected: Record<string, number>): Promise<Pod[]> {
  return waitFor(
    async () => {
      const list = (await pods()).filter((p) => !('deletionTimestamp' in p.metadata));
      const counts: Record<string, number> = {};
      for (const p of list) if (podReady(p)) counts[component(p)] = (counts[component(p)] ?? 0) + 1;
      const done =
        Object.entries(expected).every(([c, n]) => counts[c] === n) &&
        list.length === Object.values(expected).reduce((a, b) => a + b, 0);
      return done ? list : undefined;
    },
    {
      what: `pods of ${system} Ready: ${JSON.stringify(expected)}`,
      timeoutMs: 300_000,
      describe: async () => {
        const logs = await Promise.all(
          (await pods())
            .filter((p) => !podReady(p))
            .map(async (p) => {
              const res = await kubectl(cluster.kubeconfig, [
                'logs',
                p.metadata.name,
                '-n',
                system,
                '--all-containers',
                '--prefix',
                '--tail=15',
              ]);
              return res.stdout + res.stderr;
            }),
        );
        return [
          await k(['get', 'pods', '-n', system, '-o', 'wide']),
          await k(['get', 'events', '-n', system, '--sort-by=.lastTimestamp']),
          ...logs,
        ].join('\n');
      },
    },
  );
}

interface KcloudObject {
  kind: string;
  metadata: { name: string; namespace?: string; uid: string };
  status?: { conditions?: Condition[]; portName?: string; ipAddress?: string; macAddress?: string };
}

/** The tenant's kcloud objects (the category also lists cluster-scoped ones, such as Hosts). */
async function kcloudObjects(): Promise<KcloudObject[]> {
  const all = (await getJson<{ items: KcloudObject[] }>(['get', 'kcloud', '-n', tenant])).items;
  return all.filter((o) => o.metadata.namespace === tenant);
}

async function allObjectsReady(count: number): Promise<KcloudObject[]> {
  return waitFor(
    async () => {
      const items = await kcloudObjects();
      const ready = items.filter((o) =>
        o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return items.length === count && ready.length === count ? items : undefined;
    },
    {
      what: `${String(count)} kcloud objects Ready in ${tenant}`,
      timeoutMs: 120_000,
      describe: async () => k(['get', 'kcloud', '-n', tenant, '-o', 'yaml']),
    },
  );
}

/** The pods of every component once the chart is up: OVN central has three members. */
const everyPod = { manager: 2, agent: 1, 'ovn-central': 3, 'ovn-host': 1 };

const centralMembers = [0, 1, 2].map((i) => `${release}-ovn-central-${String(i)}`);

/** A member's name in the cluster's DNS, as the members and ovn-northd reach one another. */
const memberDns = (pod: string) => `${pod}.${release}-ovn-central.${system}.svc.cluster.local`;

/** A running OVN central member to exec in: any ready one (one may be down on purpose). */
async function anyMember(): Promise<string> {
  const ready = (await pods()).filter(
    (p) => component(p) === 'ovn-central' && podReady(p) && !('deletionTimestamp' in p.metadata),
  );
  const pod = ready[0]?.metadata.name;
  if (!pod) throw new Error('no OVN central member is ready');
  return pod;
}

/**
 * ovn-nbctl / ovn-sbctl in an OVN central member, to the cluster's leader over TLS (every
 * member's address, the member's certificate): what it reads is what the cluster committed.
 */
async function ovnCtl(db: 'nb' | 'sb', args: string[]): Promise<string> {
  const tool = db === 'nb' ? 'ovn-nbctl' : 'ovn-sbctl';
  const port = db === 'nb' ? 6641 : 6642;
  const tls = '/etc/kcloud/ovn-tls';
  return k([
    'exec',
    '-n',
    system,
    await anyMember(),
    '-c',
    db,
    '--',
    tool,
    `--db=${centralMembers.map((m) => `ssl:${memberDns(m)}:${String(port)}`).join(',')}`,
    `--private-key=${tls}/tls.key`,
    `--certificate=${tls}/tls.crt`,
    `--ca-cert=${tls}/ca.crt`,
    ...args,
  ]);
}

/** One member's view of a database's cluster (`cluster/status`), or undefined when it is down. */
async function clusterStatus(
  pod: string,
  db: 'nb' | 'sb',
): Promise<
  (RaftStatus & { address: string; servers: number; cid: string; sid: string }) | undefined
> {
  const res = await kubectl(cluster.kubeconfig, [
    'exec',
    '-n',
    system,
    pod,
    '-c',
    db,
    '--',
    'ovs-appctl',
    '-t',
    `/var/run/ovn/ovn${db}_db.ctl`,
    'cluster/status',
    db === 'nb' ? 'OVN_Northbound' : 'OVN_Southbound',
  ]);
  if (res.code !== 0) return undefined;
  const servers = /^Servers:\n((?:\s+.*\n?)*)/m.exec(res.stdout)?.[1] ?? '';
  // "Cluster ID: 3a2f (3a2f…-…)": the whole ID in parentheses.
  const id = (name: string) => new RegExp(`^${name}: \\S+ \\((.*)\\)$`, 'm').exec(res.stdout)?.[1];
  return {
    ...parseClusterStatus(res.stdout),
    address: /^Address: (.*)$/m.exec(res.stdout)?.[1]?.trim() ?? '',
    servers: servers.split('\n').filter((l) => l.trim()).length,
    cid: id('Cluster ID') ?? '',
    sid: id('Server ID') ?? '',
  };
}

async function leaseHolder(): Promise<string | undefined> {
  const lease = await getJson<{ spec: { holderIdentity?: string } }>([
    'get',
    'lease',
    `${release}-manager`,
    '-n',
    system,
  ]);
  return lease.spec.holderIdentity || undefined;
}

function nic(name: string, subnet: string): string {
  return JSON.stringify({
    apiVersion: 'vpc.kcloud.io/v1alpha1',
    kind: 'NetworkInterface',
    metadata: { name, namespace: tenant },
    spec: { subnetRef: { name: subnet } },
  });
}

async function nicPort(name: string): Promise<KcloudObject> {
  return waitFor(
    async () => {
      const o = await getJson<KcloudObject>(['get', 'networkinterface', name, '-n', tenant]);
      const ready = o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      return ready && o.status?.portName ? o : undefined;
    },
    { what: `NetworkInterface ${name} Ready`, timeoutMs: 60_000 },
  );
}

const transient = new Set(['', 'sh', 'ovs-appctl', 'ovn-appctl', 'ovsdb-client']);

/** The RSS of every process in the node's pods, in MiB, listed per program. */
function podMemory(): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const pid of cgroupPids(cgroupRoot)) {
    let comm: string;
    try {
      // The program's name, not its thread's (Node names its main thread MainThread); for
      // Node, which of kcloud's programs it runs (.../manager/main.js, .../agent/main.js).
      const [argv0 = '', argv1 = ''] = readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8').split(
        '\0',
      );
      comm = path.basename(argv0);
      if (comm === 'node') comm = `node ${path.basename(path.dirname(argv1))}`;
    } catch {
      continue;
    }
    // Exec probes (the OVN images' `kcloud-ovn probe` runs ovs-appctl, ovn-appctl or
    // ovsdb-client) come and go, and a process that just exited has no command line left.
    if (comm === 'pause' || comm.startsWith('containerd') || transient.has(comm)) continue;
    out[comm] = [...(out[comm] ?? []), Math.round(residentBytes(pid) / 2 ** 20)];
  }
  return out;
}

interface Terminated {
  phase: string;
  message: string;
}

/** Runs a pod to completion; its termination message (or log) and phase. */
async function runPod(namespace: string, pod: Record<string, unknown>): Promise<Terminated> {
  const name = (pod.metadata as { name: string }).name;
  await k(['apply', '-n', namespace, '-f', '-'], JSON.stringify(pod));
  try {
    return await waitFor(
      async () => {
        const p = await getJson<{
          status?: {
            phase?: string;
            containerStatuses?: { state?: { terminated?: { message?: string } } }[];
          };
        }>(['get', 'pod', name, '-n', namespace]);
        const phase = p.status?.phase ?? '';
        if (phase !== 'Succeeded' && phase !== 'Failed') return undefined;
        const message =
          p.status?.containerStatuses?.[0]?.state?.terminated?.message ??
          (await k(['logs', name, '-n', namespace]));
        return { phase, message };
      },
      {
        what: `pod ${namespace}/${name} to finish`,
        timeoutMs: 180_000,
        describe: async () => k(['describe', 'pod', name, '-n', namespace]),
      },
    );
  } finally {
    await k(['delete', 'pod', name, '-n', namespace, '--wait=false']);
  }
}

interface Dialed {
  addr: string;
  connected: boolean;
  error?: string;
}

/** netcheck connect in a pod: whether each address accepted a TCP connection. */
async function tcpFrom(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  tries: number,
  addrs: string[],
): Promise<Dialed[]> {
  const res = await runPod(namespace, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      containers: [
        {
          name: 'netcheck',
          image: netcheckImage,
          imagePullPolicy: 'Never',
          args: ['connect', String(tries), ...addrs],
        },
      ],
    },
  });
  return (JSON.parse(res.message) as { dials: Dialed[] }).dials;
}

async function serviceAddr(db: 'nb' | 'sb'): Promise<string> {
  const svc = await getJson<{ spec: { clusterIP: string; ports: { port: number }[] } }>([
    'get',
    'service',
    `${release}-ovn-${db}`,
    '-n',
    system,
  ]);
  return `${svc.spec.clusterIP}:${String(svc.spec.ports[0]?.port)}`;
}

/** The ECS module's folder in the agent's state on the node. */
const ecsState = () => path.join(hostPaths.agentState, 'ecs');

/**
 * A VM's run directory on the node, as this machine sees it: longer than a unix socket's path
 * may be, which runPaths refuses for a state folder, so its names are taken relative to it.
 */
function vmRun(uid: string): { dir: string; pidFile: string } {
  const p = runPaths('.', uid);
  return { dir: path.join(ecsState(), p.dir), pidFile: path.join(ecsState(), p.pidFile) };
}

/** The running QEMU of the VM `uid` on the node, by its pid file. */
const vmPid = (uid: string) => findVmProcess(vmRun(uid).pidFile, uid);

/** The VMs with a run directory on the node, and the pid of each one's QEMU while it runs. */
async function nodeVms(): Promise<{ uid: string; pid: number | undefined }[]> {
  const dir = path.join(ecsState(), 'vms');
  if (!existsSync(dir)) return [];
  return Promise.all(
    (await readdir(dir)).map(async (uid) => ({
      uid,
      pid: await vmPid(uid),
    })),
  );
}

function builtTag(): string {
  const tags = new Set(images.map((i) => i.ref.slice(i.ref.lastIndexOf(':') + 1)));
  if (tags.size !== 1) throw new Error(`images built with tags ${[...tags].join(', ')}`);
  return [...tags][0] ?? '';
}

beforeAll(async () => {
  testCluster = await nodeTestCluster('chart');
  cluster = testCluster.cluster;
  layout = nodeLayout(path.join(cluster.runDir, 'chart-node'));

  let t = Date.now();
  images = await buildImages({ outDir: path.join(repoRoot, '.local', 'images') });
  console.log(
    `images built in ${((Date.now() - t) / 1000).toFixed(1)} s: ${images.map((i) => `${i.ref} ${(i.bytes / 2 ** 20).toFixed(0)} MiB`).join(', ')}`,
  );

  await acquireNodeLock();
  locked = true;
  t = Date.now();
  await up(layout, cluster);
  console.log(`node up in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  t = Date.now();
  await importImages(layout.containerdSocket, images);
  await importGoImage(layout, netcheckImage, netcheckSource, 'netcheck');
  console.log(`images imported in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  await k(['create', 'namespace', tenant]);
  valuesFile = path.join(layout.runDir, 'values.yaml');
  const values = localClusterValues({
    hostRoot: path.join(layout.runDir, 'host'),
    // The tag of the images just built: the tree may change (a commit) while they build.
    tag: builtTag(),
    watchNamespace: tenant,
  });
  hostPaths = values.hostPaths as typeof hostPaths;
  // VMs in the node's cgroup subtree: a VM a failed run left is stopped with the node.
  values.agent = { ...(values.agent as object), vms: { cgroup: vmCgroup, stopTimeout: '30s' } };
  await writeFile(valuesFile, stringify(values));
  t = Date.now();
  installed = true;
  await helmOk(cluster.kubeconfig, [
    'install',
    release,
    chartDir,
    '--namespace',
    system,
    '--create-namespace',
    '--values',
    valuesFile,
  ]);
  const ready = await allReady(everyPod);
  console.log(`helm install → every pod Ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  for (const p of ready) {
    const at = p.status?.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '';
    const seconds = (Date.parse(at) - Date.parse(p.metadata.creationTimestamp)) / 1000;
    console.log(`pod ${p.metadata.name}: created → Ready ${seconds.toFixed(0)} s`);
  }
}, 45 * 60_000);

afterAll(async () => {
  // A VM a failed test left behind is killed by its pid: its QEMU outlives the agent.
  if (locked) {
    for (const vm of await nodeVms()) if (vm.pid !== undefined) process.kill(vm.pid, 'SIGKILL');
  }
  if (testCluster) {
    if (installed) {
      await helm(cluster.kubeconfig, ['uninstall', release, '--namespace', system, '--wait']);
    }
    await kubectl(cluster.kubeconfig, ['delete', 'namespace', tenant, system, '--wait=false']);
  }
  if (locked) {
    await down(layout);
    await releaseNodeLock();
  }
  if (testCluster) await releaseNodeTestCluster(testCluster);
}, 300_000);

describe('kcloud installed with Helm on a real node', () => {
  // First: the probe's QEMU runs only until the probe is over, and is no program of the census.
  it('probes the hypervisor with the QEMU and the probe guest of the agent image', async () => {
    const host = await waitFor(
      async () => {
        const h = await getJson<KcloudObject>(['get', 'host', 'kcloud-node']).catch(
          () => undefined,
        );
        const agent = h?.status?.conditions?.find((c) => c.type === 'AgentReady');
        return agent?.status === 'True' ? { h, agent } : undefined;
      },
      { what: 'Host kcloud-node AgentReady', timeoutMs: 120_000 },
    );
    console.log(`Host kcloud-node: ${host.agent.message ?? ''}`);
    // A probe boot happened (KVM used, or refused with why), not a fallback for want of tools.
    expect(host.agent.message).toMatch(/guests run under (kvm|tcg): /);
    expect(host.agent.message).not.toMatch(/not installed|was not probed|could not start qemu/);
  });

  it('runs every component from the images built here', async () => {
    const list = await pods();
    const refs = new Set(images.map((i) => i.ref));
    for (const p of list) {
      const spec = await getJson<{ spec: { containers: { image: string }[] } }>([
        'get',
        'pod',
        p.metadata.name,
        '-n',
        system,
      ]);
      for (const c of spec.spec.containers) expect(refs).toContain(c.image);
    }
    const memory = podMemory();
    console.log(`RSS of the pods' programs (MiB): ${JSON.stringify(memory)}`);
    // Two managers, an agent, three database servers and one of each daemon.
    expect(Object.fromEntries(Object.entries(memory).map(([p, rss]) => [p, rss.length]))).toEqual({
      'node manager': 2,
      'node agent': 1,
      // Three OVN central members (northbound and southbound each) and the host's database.
      'ovsdb-server': 7,
      'ovn-northd': 3,
      'ovs-vswitchd': 1,
      'ovn-controller': 1,
    });
  });

  it('registers the node as an OVN chassis through the in-cluster southbound database', async () => {
    const chassis = await waitFor(
      async () => {
        const out = await ovnCtl('sb', ['--columns=name', '--bare', 'list', 'Chassis']);
        return out.trim() === 'kcloud-node' ? out : undefined;
      },
      { what: 'chassis kcloud-node in the southbound database', timeoutMs: 60_000 },
    );
    expect(chassis.trim()).toBe('kcloud-node');
  });

  it('reconciles the VPC sample through the manager pods into the in-cluster OVN', async () => {
    const t = Date.now();
    await k(['apply', '-n', tenant, '-f', sample]);
    const items = await allObjectsReady(8);
    console.log(`VPC sample (8 objects) Ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    const subnets = items.filter((o) => o.kind === 'Subnet');
    const switches = await ovnCtl('nb', [
      '--columns=external_ids',
      '--bare',
      'list',
      'Logical_Switch',
    ]);
    for (const s of subnets) expect(switches).toContain(s.metadata.uid);
    for (const n of items.filter((o) => o.kind === 'NetworkInterface')) {
      const addresses = await ovnCtl('nb', ['lsp-get-addresses', n.status?.portName ?? '?']);
      expect(addresses.trim()).toBe(`${n.status?.macAddress ?? ''} ${n.status?.ipAddress ?? ''}`);
    }
  });

  it('serves OVN’s databases over TLS only: no certificate, or one from another CA, is refused', async () => {
    // A CA of the test's own signs a client certificate the databases must not accept.
    const dir = path.join(layout.runDir, 'other-ca');
    await mkdir(dir, { recursive: true });
    const ca = { key: path.join(dir, 'ca.key'), cert: path.join(dir, 'ca.crt') };
    await selfSignedCa(ca.key, ca.cert, 'not the OVN CA');
    await signedCert(ca, dir, 'client', '/CN=kcloud-manager', clientExtensions);
    await k(
      ['apply', '-n', system, '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'ovn-probe-other-ca' },
        data: {
          'tls.key': await readBase64(path.join(dir, 'client.key')),
          'tls.crt': await readBase64(path.join(dir, 'client.crt')),
        },
      }),
    );
    // NetworkPolicies add up: this one lets the probe reach the TLS handshake.
    await k(
      ['apply', '-n', system, '-f', '-'],
      JSON.stringify({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'ovn-probe' },
        spec: {
          podSelector: { matchLabels: { 'app.kubernetes.io/component': 'ovn-central' } },
          policyTypes: ['Ingress'],
          ingress: [{ from: [{ podSelector: { matchLabels: probeLabel } }] }],
        },
      }),
    );
    const image = images.find((i) => i.ref.includes('/kcloud-ovn:'))?.ref ?? '?';
    const tls = (dir: string) => [`-p /tls/${dir}/tls.key`, `-c /tls/${dir}/tls.crt`].join(' ');
    const script = [
      'nb=$KCLOUD_OVN_NB_SERVICE_HOST:$KCLOUD_OVN_NB_SERVICE_PORT',
      'sb=$KCLOUD_OVN_SB_SERVICE_HOST:$KCLOUD_OVN_SB_SERVICE_PORT',
      'try() { label=$1; shift; if out=$(timeout 20 ovsdb-client "$@" 2>&1); then echo "$label: ok $out" | tr "\n" " "; else echo "$label: refused $out" | tr "\n" " "; fi; echo; }',
      'try "nb plain tcp" list-dbs tcp:$nb',
      'try "sb plain tcp" list-dbs tcp:$sb',
      `try "nb other CA" ${tls('other')} -C /tls/manager/ca.crt list-dbs ssl:$nb`,
      `try "sb other CA" ${tls('other')} -C /tls/manager/ca.crt list-dbs ssl:$sb`,
      `try "nb manager" ${tls('manager')} -C /tls/manager/ca.crt list-dbs ssl:$nb`,
      `try "sb host" ${tls('host')} -C /tls/host/ca.crt list-dbs ssl:$sb`,
    ].join('\n');
    const secret = (name: string, secretName: string) => ({ name, secret: { secretName } });
    const res = await runPod(system, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'ovn-tls-probe', labels: probeLabel },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'probe',
            image,
            imagePullPolicy: 'Never',
            command: ['/bin/sh', '-c', script],
            volumeMounts: ['other', 'manager', 'host'].map((d) => ({
              name: d,
              mountPath: `/tls/${d}`,
            })),
          },
        ],
        volumes: [
          secret('other', 'ovn-probe-other-ca'),
          secret('manager', `${release}-ovn-tls-manager`),
          secret('host', `${release}-ovn-tls-host`),
        ],
      },
    });
    console.log(`OVN TLS probe:\n${res.message}`);
    const outcome = Object.fromEntries(
      res.message
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [label = '', rest = ''] = l.split(': ');
          return [label, rest.split(' ')[0]];
        }),
    );
    expect(outcome).toEqual({
      'nb plain tcp': 'refused',
      'sb plain tcp': 'refused',
      'nb other CA': 'refused',
      'sb other CA': 'refused',
      'nb manager': 'ok',
      'sb host': 'ok',
    });
    expect(res.message).toMatch(/nb manager: ok .*OVN_Northbound/);
    expect(res.message).toMatch(/sb host: ok .*OVN_Southbound/);
  });

  it('lets no other pod even open a TCP connection to OVN central (NetworkPolicy)', async () => {
    const addrs = [await serviceAddr('nb'), await serviceAddr('sb')];
    // Admitted by the test's policy above: reaches both ports (and then needs TLS).
    const admitted = await tcpFrom(system, 'ovn-tcp-admitted', probeLabel, 30, addrs);
    // The same namespace without the label, and a tenant's pod: dropped.
    const sameNamespace = await tcpFrom(system, 'ovn-tcp-unlabelled', {}, 3, addrs);
    const tenantPod = await tcpFrom(tenant, 'ovn-tcp-tenant', {}, 3, addrs);
    console.log(`TCP to OVN central: ${JSON.stringify({ admitted, sameNamespace, tenantPod })}`);
    expect(admitted.map((d) => d.connected)).toEqual([true, true]);
    expect(sameNamespace.map((d) => d.connected)).toEqual([false, false]);
    expect(tenantPod.map((d) => d.connected)).toEqual([false, false]);
    // kube-router rejects what no policy admits; the admitted pod shows the ports are open.
    for (const d of [...sameNamespace, ...tenantPod]) {
      expect(d.error).toMatch(/connection refused|timeout/);
    }
    await k(['delete', 'networkpolicy', 'ovn-probe', '-n', system]);
  });

  it('gives the manager’s ServiceAccount exactly its rules in each namespace', async () => {
    const sa = `system:serviceaccount:${system}:${release}-manager`;
    const base = await canIList(
      cluster.kubeconfig,
      `system:serviceaccount:${system}:${release}-ovn-host`,
      tenant,
    );
    const rules = (names: (n: string) => boolean) =>
      [
        ...permissionsOf(
          chartRules()
            .filter((r) => names(r.name))
            .flatMap((r) => r.rules),
        ),
      ].sort();
    // The tenant's manager runs the vpc operator (localClusterValues with watchNamespace).
    expect(minus(await canIList(cluster.kubeconfig, sa, tenant), base)).toEqual(
      rules((n) => n === 'operators/vpc' || n === 'manager-events'),
    );
    expect(minus(await canIList(cluster.kubeconfig, sa, system), base)).toEqual(
      rules((n) => n === 'manager-leader-election'),
    );
  });

  it('lets the agent pod write only its own host’s Lease, with its own token', async () => {
    const hosts = 'kcloud-hosts';
    const agent = (await pods()).find((p) => component(p) === 'agent');
    if (!agent) throw new Error('no agent pod');
    const node = (
      await getJson<{ spec: { nodeName: string } }>([
        'get',
        'pod',
        agent.metadata.name,
        '-n',
        system,
      ])
    ).spec.nodeName;
    // The heartbeat: named after the node, in the hosts namespace, renewed by the pod.
    const heartbeat = await waitFor(
      () =>
        getJson<{ spec: { holderIdentity?: string } }>(['get', 'lease', node, '-n', hosts]).catch(
          () => undefined,
        ),
      { what: `the agent's Lease ${hosts}/${node}`, timeoutMs: 60_000 },
    );
    expect(heartbeat.spec.holderIdentity).toBe(node);

    // The token the kubelet gave the pod (bound to it, naming its node), read inside the pod.
    const token = await k([
      'exec',
      '-n',
      system,
      agent.metadata.name,
      '-c',
      'agent',
      '--',
      'node',
      '-e',
      "process.stdout.write(require('node:fs').readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/token','utf8'))",
    ]);
    const admin = parse(readFileSync(cluster.kubeconfig, 'utf8')) as {
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
    };
    const podKubeconfig = path.join(layout.runDir, 'agent-pod.kubeconfig');
    await writeFile(
      podKubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: admin.clusters[0]?.cluster }],
        users: [{ name: 'agent', user: { token } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'agent' } }],
        'current-context': 'c',
      }),
      { mode: 0o600 },
    );
    const asAgent = (args: string[], input?: string) => kubectl(podKubeconfig, args, input);
    const other = await asAgent(
      ['create', '-f', '-'],
      JSON.stringify({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: `not-${node}`, namespace: hosts },
        spec: { holderIdentity: `not-${node}` },
      }),
    );
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain(`the kcloud agent of host ${node} may write only its own host`);
    const leader = await asAgent(['get', 'lease', `${release}-manager`, '-n', system]);
    expect(leader.code).not.toBe(0);
    expect(leader.stderr).toContain('forbidden');

    const sa = `system:serviceaccount:${system}:${release}-agent`;
    const base = await canIList(
      cluster.kubeconfig,
      `system:serviceaccount:${system}:${release}-ovn-host`,
      system,
    );
    const agentRules = (name: string) => chartRules().find((r) => r.name === name)?.rules ?? [];
    // Outside the hosts namespace only its cluster-wide Host rules (the admission policy keeps
    // it to its own Host); in the hosts namespace its Lease rules too.
    expect(minus(await canIList(cluster.kubeconfig, sa, system), base)).toEqual(
      [...permissionsOf(agentRules('agent-cluster'))].sort(),
    );
    expect(minus(await canIList(cluster.kubeconfig, sa, hosts), base)).toEqual(
      [...permissionsOf([...agentRules('agent'), ...agentRules('agent-cluster')])].sort(),
    );
  });

  it('makes EVS volumes through the chart’s agent in a Local pool on the node', async () => {
    const node = 'kcloud-node';
    // Cluster-scoped names of this run's own: the control plane is shared.
    const name = `chart-evs-${suffix}`;
    const poolDir = path.join(hostPaths.storagePools, name);
    const imageFile = path.join(hostPaths.imageImport, `${name}.qcow2`);
    // kcloud never makes a pool's directory; the image file is a small qcow2 on the node.
    await mkdir(poolDir, { recursive: true, mode: 0o700 });
    await mkdir(hostPaths.imageImport, { recursive: true });
    await exec('qemu-img', ['create', '-q', '-f', 'qcow2', imageFile, '64M']);
    // The chart's manager runs only the vpc operator (it watches the tenant's namespace alone,
    // as the control plane is shared): EVS's scheduler and the Hosts' lifecycle run here, the
    // agent's part in the pod.
    const manager = await startManager(
      (mgr) => {
        addHostLifecycleController(mgr, { hostsNamespace: 'kcloud-hosts', gracePeriodMs: 5_000 });
        addEvsControllers(mgr);
      },
      { namespace: tenant, kubeconfigPath: cluster.kubeconfig },
    );
    const apply = (kind: string, apiVersion: string, metadata: object, spec: object) =>
      k(['apply', '-f', '-'], JSON.stringify({ apiVersion, kind, metadata, spec }));
    const evs = 'evs.kcloud.io/v1alpha1';
    try {
      await apply(
        'StoragePool',
        evs,
        { name },
        { type: 'File', file: { path: poolDir, scope: 'Local' } },
      );
      await apply('VolumeType', evs, { name }, { storagePoolRef: { name } });
      await apply(
        'Image',
        'ecs.kcloud.io/v1alpha1',
        { name: 'chart-image', namespace: tenant },
        {
          source: { hostFile: { host: node, path: imageFile } },
          format: 'qcow2',
          storagePoolRef: { name },
        },
      );
      await apply(
        'Volume',
        evs,
        { name: 'chart-boot', namespace: tenant },
        { size: '1Gi', volumeTypeRef: { name }, source: { image: { name: 'chart-image' } } },
      );
      const t = Date.now();
      const ready = (kind: string, n: string) =>
        waitFor(
          async () => {
            const o = await getJson<KcloudObject & { status?: { phase?: string; host?: string } }>([
              'get',
              kind,
              n,
              '-n',
              tenant,
            ]);
            return o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
              ? o
              : undefined;
          },
          {
            what: `${kind} ${n} Ready`,
            timeoutMs: 120_000,
            describe: async () =>
              [
                await k(['get', kind, n, '-n', tenant, '-o', 'yaml']),
                await k(['logs', '-n', system, `daemonset/${release}-agent`, '--tail=30']),
              ].join('\n'),
          },
        );
      const image = await ready('images.ecs.kcloud.io', 'chart-image');
      const volume = await ready('volumes.evs.kcloud.io', 'chart-boot');
      console.log(
        `Image imported and Volume cloned from it in ${((Date.now() - t) / 1000).toFixed(1)} s`,
      );
      expect(volume.status).toMatchObject({ phase: 'Available', host: node });
      // The data is on the node, in the pool's directory: a copy-on-write clone of the image.
      const volumeFile = path.join(poolDir, `vol-${volume.metadata.uid}.qcow2`);
      const imageCopy = path.join(poolDir, `img-${image.metadata.uid}.qcow2`);
      expect(existsSync(imageCopy)).toBe(true);
      const info = JSON.parse(
        (await exec('qemu-img', ['info', '--output=json', '-U', volumeFile])).stdout,
      ) as Record<string, unknown>;
      expect(info).toMatchObject({
        format: 'qcow2',
        'virtual-size': 2 ** 30,
        'backing-filename': path.basename(imageCopy),
      });
      // The Host reports the pool it reaches.
      const reported = await waitFor(
        async () => {
          const h = await getJson<{ status?: { storagePools?: { name: string }[] } }>([
            'get',
            'host',
            node,
          ]);
          return h.status?.storagePools?.find((p) => p.name === name);
        },
        { what: `Host ${node} reporting StoragePool ${name}`, timeoutMs: 90_000 },
      );
      expect(reported).toMatchObject({ name });

      // Deleted: the agent removes the data from the node.
      await k([
        'delete',
        'volumes.evs.kcloud.io/chart-boot',
        'images.ecs.kcloud.io/chart-image',
        '-n',
        tenant,
        '--timeout=120s',
      ]);
      const left = await waitFor(
        async () => {
          const files = (await readdir(poolDir)).filter((f) => /^(vol|img)-/.test(f));
          return files.length === 0 ? files : undefined;
        },
        {
          what: `no volume or image files left in ${poolDir}`,
          timeoutMs: 60_000,
          describe: async () => (await readdir(poolDir)).join(' '),
        },
      );
      expect(left).toEqual([]);
    } finally {
      await kubectl(cluster.kubeconfig, [
        'delete',
        '--ignore-not-found',
        '-n',
        tenant,
        'volumes.evs.kcloud.io/chart-boot',
        'images.ecs.kcloud.io/chart-image',
        '--timeout=120s',
      ]);
      await kubectl(cluster.kubeconfig, [
        'delete',
        '--ignore-not-found',
        `volumetypes.evs.kcloud.io/${name}`,
        `storagepools.evs.kcloud.io/${name}`,
        '--timeout=120s',
      ]);
      await manager.stop();
    }
  });

  it('boots an Instance with the agent image’s QEMU that answers ping, outlives the agent pod and leaves nothing when deleted', async () => {
    const node = 'kcloud-node';
    // Cluster-scoped names of this run's own: the control plane is shared.
    const name = `chart-ecs-${suffix}`;
    const poolDir = path.join(hostPaths.storagePools, name);
    const imageFile = path.join(hostPaths.imageImport, `${name}.qcow2`);
    await mkdir(poolDir, { recursive: true, mode: 0o700 });
    await mkdir(hostPaths.imageImport, { recursive: true });
    await copyFile((await readDemoGuest(guestDir())).image, imageFile);
    // The chart's manager runs only the vpc operator: EVS, the Hosts' lifecycle and the ECS
    // scheduler run here; the VM is the agent pod's.
    const manager = await startManager(
      (mgr) => {
        addHostLifecycleController(mgr, { hostsNamespace: 'kcloud-hosts', gracePeriodMs: 5_000 });
        addEvsControllers(mgr);
        addInstanceController(mgr, { policy: 'Spread', hostsNamespace: 'kcloud-hosts' });
      },
      { namespace: tenant, kubeconfigPath: cluster.kubeconfig },
    );
    const apply = (kind: string, apiVersion: string, metadata: object, spec: object) =>
      k(['apply', '-f', '-'], JSON.stringify({ apiVersion, kind, metadata, spec }));
    const evs = 'evs.kcloud.io/v1alpha1';
    const ecs = 'ecs.kcloud.io/v1alpha1';
    const vpc = 'vpc.kcloud.io/v1alpha1';
    const inTenant = (n: string) => ({ name: n, namespace: tenant });
    interface InstanceView {
      metadata: { uid: string };
      status?: {
        phase?: string;
        bootTime?: string;
        interfaces?: { ipAddresses?: string[] }[];
        conditions?: Condition[];
      };
    }
    const instance = () =>
      getJson<InstanceView>(['get', 'instances.ecs.kcloud.io', 'vm-1', '-n', tenant]);
    const running = () =>
      waitFor(
        async () => {
          const i = await instance();
          const ready = i.status?.conditions?.find((c) => c.type === 'Ready');
          return ready?.status === 'True' && i.status?.phase === 'Running' ? i : undefined;
        },
        {
          what: 'Instance vm-1 Ready and Running',
          timeoutMs: 300_000,
          describe: async () =>
            [
              await k(['get', 'instances.ecs.kcloud.io', 'vm-1', '-n', tenant, '-o', 'yaml']),
              await k(['logs', '-n', system, `daemonset/${release}-agent`, '--tail=30']),
            ].join('\n'),
        },
      );
    const agentPod = async () =>
      (await pods()).find((p) => component(p) === 'agent')?.metadata.name;
    let probe: Probe | undefined;
    let uid = '';
    try {
      await apply(
        'StoragePool',
        evs,
        { name },
        { type: 'File', file: { path: poolDir, scope: 'Local' } },
      );
      await apply('VolumeType', evs, { name }, { storagePoolRef: { name } });
      await apply('Flavor', ecs, { name }, { vcpu: 1, memory: '256Mi', cpuQuotaPercent: 50 });
      await apply('Image', ecs, inTenant('demo'), {
        source: { hostFile: { host: node, path: imageFile } },
        storagePoolRef: { name },
      });
      await apply('VPC', vpc, inTenant('vm-net'), { cidrBlocks: ['10.30.0.0/16'] });
      await apply('Subnet', vpc, inTenant('vm-web'), {
        vpcRef: { name: 'vm-net' },
        cidrBlock: '10.30.1.0/24',
      });
      await apply('SecurityGroup', vpc, inTenant('vm-web'), {
        vpcRef: { name: 'vm-net' },
        rules: [
          { name: 'icmp', direction: 'Ingress', protocol: 'ICMP', remoteCIDR: '10.30.0.0/16' },
        ],
      });
      await apply('NetworkInterface', vpc, inTenant('vm-probe'), { subnetRef: { name: 'vm-web' } });
      const port = await nicPort('vm-probe');
      const s = port.status as Record<string, string | number>;
      // The ovn-host pod's namespace, where its ovs-vswitchd has br-int (its published link).
      const dataPlane = readlinkSync(path.join(hostPaths.ovsRun, 'vswitchd.netns'));
      probe = await plugProbe({
        dataPlane,
        vsctl: (args) =>
          k([
            'exec',
            '-n',
            system,
            `daemonset/${release}-ovn-host`,
            '-c',
            'vswitchd',
            '--',
            'ovs-vsctl',
            '--db=unix:/var/run/openvswitch/db.sock',
            ...args,
          ]),
        name: 'vmprobe',
        ifaceId: String(s.portName),
        mac: String(s.macAddress),
        address: `${String(s.ipAddress)}/${String(s.prefixLength)}`,
        gateway: String(s.gatewayIP),
      });
      const p = probe;

      const t = Date.now();
      await apply('Instance', ecs, inTenant('vm-1'), {
        flavorRef: { name },
        imageRef: { name: 'demo' },
        bootVolume: { volumeTypeRef: { name } },
        networkInterfaces: [
          {
            name: 'eth0',
            primary: true,
            subnetRef: { name: 'vm-web' },
            securityGroupRefs: [{ name: 'vm-web' }],
          },
        ],
      });
      const booted = await running();
      uid = booted.metadata.uid;
      const ip = booted.status?.interfaces?.[0]?.ipAddresses?.[0] ?? '';
      expect(ip).toMatch(/^10\.30\.1\.\d+$/);
      const answers = (timeoutMs: number) =>
        waitFor(async () => (await p.ping(ip)) || undefined, {
          what: `${ip} to answer ping`,
          timeoutMs,
          intervalMs: 1_000,
        });
      await answers(240_000);
      console.log(
        `Instance applied → Running and answering ping in ${((Date.now() - t) / 1000).toFixed(1)} s`,
      );

      // QEMU runs in the host's PID namespace: the test sees its pid file's pid.
      const pid = await vmPid(uid);
      if (pid === undefined) throw new Error(`no QEMU of ${uid} on the node`);

      // The agent pod goes; its successor adopts the VM, which never stopped.
      const old = await agentPod();
      const t2 = Date.now();
      await k(['delete', 'pod', old ?? '?', '-n', system]);
      expect(await vmPid(uid)).toBe(pid);
      await answers(30_000);
      await allReady(everyPod);
      const successor = await agentPod();
      expect(successor).not.toBe(old);
      console.log(
        `agent pod deleted → its successor Ready in ${((Date.now() - t2) / 1000).toFixed(1)} s`,
      );
      const adopted = await running();
      expect(adopted.status?.bootTime).toBe(booted.status?.bootTime);
      expect(await vmPid(uid)).toBe(pid);
      await answers(30_000);

      // It lives in a cgroup of its own, outside every pod's, which the kubelet and the runtime
      // empty when the pod stops.
      const cgroups = readFileSync(`/proc/${String(pid)}/cgroup`, 'utf8');
      expect(cgroups).toMatch(new RegExp(`:memory:/${vmCgroup}/${uid}$`, 'm'));
      expect(cgroups).not.toContain('kubepods');
      // Its Flavor's CPU quota (1 vCPU at 50 %) is set there by the agent, through the host's
      // cgroup filesystem the chart mounts.
      expect(cgroups).toMatch(new RegExp(`:cpu(,cpuacct)?:/${vmCgroup}/${uid}$`, 'm'));
      expect(
        readFileSync(`/sys/fs/cgroup/cpu/${vmCgroup}/${uid}/cpu.cfs_quota_us`, 'utf8').trim(),
      ).toBe('50000');

      // Deleted: the new agent stops the VM it adopted; nothing of it is left on the node.
      await k(['delete', 'instances.ecs.kcloud.io', 'vm-1', '-n', tenant, '--timeout=180s']);
      expect(await vmPid(uid)).toBeUndefined();
      expect(existsSync(vmRun(uid).dir)).toBe(false);
      expect(await p.ping(ip)).toBe(false);
      expect(cgroupPids(vmCgroup)).toEqual([]);
    } finally {
      // The instance first: a QEMU killed while it exists is started again.
      await kubectl(cluster.kubeconfig, [
        'delete',
        '--ignore-not-found',
        '-n',
        tenant,
        'instances.ecs.kcloud.io/vm-1',
        'networkinterfaces.vpc.kcloud.io/vm-probe',
        'images.ecs.kcloud.io/demo',
        '--timeout=180s',
      ]);
      const left = uid === '' ? undefined : await vmPid(uid);
      if (left !== undefined) process.kill(left, 'SIGKILL');
      await probe?.close().catch((err: unknown) => {
        console.log(`closing the probe namespace: ${String(err)}`);
      });
      await kubectl(cluster.kubeconfig, [
        'delete',
        '--ignore-not-found',
        '-n',
        tenant,
        'securitygroups.vpc.kcloud.io/vm-web',
        'subnets.vpc.kcloud.io/vm-web',
        'vpcs.vpc.kcloud.io/vm-net',
        '--timeout=120s',
      ]);
      await kubectl(cluster.kubeconfig, [
        'delete',
        '--ignore-not-found',
        `volumetypes.evs.kcloud.io/${name}`,
        `storagepools.evs.kcloud.io/${name}`,
        `flavors.ecs.kcloud.io/${name}`,
        '--timeout=120s',
      ]);
      await manager.stop();
    }
  }, 900_000);

  it('fails over to the standby when the leader pod is deleted, and keeps reconciling', async () => {
    const leader = await leaseHolder();
    const managers = (await pods()).filter((p) => component(p) === 'manager');
    expect(managers.map((p) => p.metadata.name)).toContain(leader);
    const t = Date.now();
    await k(['delete', 'pod', leader ?? '?', '-n', system, '--wait=false']);
    const successor = await waitFor(
      async () => {
        const holder = await leaseHolder();
        return holder && holder !== leader ? holder : undefined;
      },
      { what: 'a new lease holder', timeoutMs: 60_000 },
    );
    console.log(
      `leader ${leader ?? '?'} deleted → ${successor} leads after ${String(Date.now() - t)} ms`,
    );
    // The standby polls every retry period; the Deployment's replacement pod, started at once,
    // sometimes takes the released lease first. Either is a manager replica other than the
    // deleted one, and it must go on reconciling.
    expect(successor).not.toBe(leader);
    const standby = managers.find((p) => p.metadata.name !== leader)?.metadata.name;
    console.log(`the lease went to ${successor === standby ? 'the standby' : 'the new replica'}`);
    const current = (await pods()).filter((p) => component(p) === 'manager');
    expect(current.map((p) => p.metadata.name)).toContain(successor);

    await k(['apply', '-f', '-'], nic('after-failover', 'demo-web'));
    const made = await nicPort('after-failover');
    expect(made.status?.ipAddress).toMatch(/^10\.10\.1\./);
    await allReady(everyPod);
  });

  it('keeps OVN central’s databases as Raft clusters of three members over TLS', async () => {
    for (const db of ['nb', 'sb'] as const) {
      const views = await Promise.all(centralMembers.map((m) => clusterStatus(m, db)));
      console.log(`${db} cluster: ${JSON.stringify(views)}`);
      expect(views.map((v) => v?.status)).toEqual(Array(3).fill('cluster member'));
      expect(views.map((v) => v?.servers)).toEqual([3, 3, 3]);
      // The members reach one another over TLS, by their DNS names.
      expect(views.map((v) => v?.address)).toEqual(
        centralMembers.map((m) => `ssl:${memberDns(m)}:${db === 'nb' ? '6643' : '6644'}`),
      );
      expect(views.filter((v) => v?.role === 'leader')).toHaveLength(1);
    }
    // docs/install.md's way in by hand: a member's unix socket, a follower answering reads.
    const roles = await Promise.all(centralMembers.map((m) => clusterStatus(m, 'nb')));
    const follower = centralMembers.find((_, i) => roles[i]?.role === 'follower');
    const show = await k(memberNbctl(system, follower ?? '?', ['show']));
    expect(show).toMatch(/^switch /m);
    expect(show).toMatch(/^router /m);
  });

  it('loses no write when the northbound leader’s pod is killed in the middle of a burst', async () => {
    const leaderOf = async () => {
      for (const m of centralMembers) {
        if ((await clusterStatus(m, 'nb'))?.role === 'leader') return m;
      }
      return undefined;
    };
    const leader = await leaderOf();
    if (!leader) throw new Error('no northbound leader');
    const portNames = async () =>
      (await ovnCtl('nb', ['--columns=name', '--bare', 'list', 'Logical_Switch_Port']))
        .split('\n')
        .filter(Boolean);
    const before = await portNames();

    const count = 120;
    const names = Array.from({ length: count }, (_, i) => `burst-${String(i)}`);
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: names.map((name) => ({
        ...(JSON.parse(nic(name, 'demo-web')) as object),
        metadata: { name, namespace: tenant, labels: { 'kcloud-test': 'burst' } },
      })),
    };
    const burst = async () =>
      (
        await getJson<{ items: KcloudObject[] }>([
          'get',
          'networkinterfaces',
          '-n',
          tenant,
          '-l',
          'kcloud-test=burst',
        ])
      ).items;
    const readyCount = async () =>
      (await burst()).filter((o) =>
        o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ).length;
    const t0 = Date.now();
    await k(['apply', '-f', '-'], JSON.stringify(list));
    // The kill lands while the manager is writing the burst: some interfaces are done, most not.
    const readyAtKill = await waitFor(
      async () => ((await readyCount()) > 0 ? readyCount() : undefined),
      {
        what: 'the first interface of the burst Ready',
        timeoutMs: 60_000,
        intervalMs: 100,
      },
    );
    const tKill = Date.now();
    await k(['delete', 'pod', leader, '-n', system, '--grace-period=0', '--force']);
    console.log(
      `NB leader ${leader} killed ${String(tKill - t0)} ms after the burst of ${String(count)} interfaces was applied, ${String(readyAtKill)} of them Ready`,
    );
    expect(readyAtKill).toBeLessThan(count);

    const newLeader = await waitFor(
      async () => {
        for (const m of centralMembers.filter((x) => x !== leader)) {
          const v = await clusterStatus(m, 'nb');
          if (v?.role === 'leader') return m;
        }
        return undefined;
      },
      { what: 'a new northbound leader among the others', timeoutMs: 60_000, intervalMs: 100 },
    );
    const tElected = Date.now();
    await waitFor(async () => ((await readyCount()) === count ? true : undefined), {
      what: `all ${String(count)} interfaces of the burst Ready`,
      timeoutMs: 180_000,
      intervalMs: 200,
      describe: async () => `${String(await readyCount())} Ready`,
    });
    const tAll = Date.now();
    // The killed member comes back with its database and rejoins: three members again.
    await allReady(everyPod);
    const tBack = Date.now();
    console.log(
      `after the kill: new leader ${newLeader} seen in ${String(tElected - tKill)} ms; all interfaces Ready in ${String(tAll - tKill)} ms; the member back and all pods Ready in ${String(tBack - tKill)} ms`,
    );
    const rejoined = await waitFor(
      async () => {
        const v = await clusterStatus(leader, 'nb');
        return v?.status === 'cluster member' && v.servers === 3 ? v : undefined;
      },
      { what: `${leader} a member of the northbound cluster again`, timeoutMs: 60_000 },
    );
    expect(rejoined.leader).not.toBe('unknown');

    // Every interface has exactly one port, with its own addresses; nothing else was added.
    const made = await burst();
    const after = await portNames();
    const ports = made.map((o) => o.status?.portName ?? '?');
    expect(new Set(ports).size).toBe(count);
    expect(after.filter((n) => ports.includes(n)).sort()).toEqual([...ports].sort());
    expect(after.length).toBe(before.length + count);
    const addresses = await ovnCtl('nb', [
      '--columns=name,addresses',
      '--format=json',
      'list',
      'Logical_Switch_Port',
    ]);
    const byName = new Map(
      (JSON.parse(addresses) as { data: [string, string | [string, string[]]][] }).data.map(
        ([name, addrs]) => [name, typeof addrs === 'string' ? [addrs] : addrs[1]],
      ),
    );
    for (const o of made) {
      expect(`${o.metadata.name} ${JSON.stringify(byName.get(o.status?.portName ?? '?'))}`).toBe(
        `${o.metadata.name} ${JSON.stringify([`${o.status?.macAddress ?? ''} ${o.status?.ipAddress ?? ''}`])}`,
      );
    }
    // The addresses handed out are distinct too: no interface was allocated twice.
    expect(new Set(made.map((o) => o.status?.ipAddress)).size).toBe(count);

    await k([
      'delete',
      'networkinterfaces',
      '-n',
      tenant,
      '-l',
      'kcloud-test=burst',
      '--timeout=180s',
    ]);
    expect((await portNames()).sort()).toEqual([...before].sort());
  }, 600_000);

  it('takes a member that lost its databases back into both clusters as a new server, the first member too', async () => {
    // The first member: on a new install it is the one that makes the clusters, so without
    // its files it must not make new ones.
    const member = centralMembers[0] ?? '?';
    const dbs = ['nb', 'sb'] as const;
    const views = async (pod: string) =>
      Promise.all(dbs.map(async (db) => ({ db, ...(await clusterStatus(pod, db)) })));
    const before = await views(member);
    expect(before.map((v) => v.servers)).toEqual([3, 3]);
    const portsIn = async (pod: string) =>
      (
        await k(
          memberNbctl(system, pod, ['--columns=name', '--bare', 'list', 'Logical_Switch_Port']),
        )
      )
        .split('\n')
        .filter(Boolean)
        .sort();
    // A switch of the test's own, so that the member has rows to get back whatever ran before.
    const sw = `rejoin-${randomBytes(3).toString('hex')}`;
    await ovnCtl('nb', ['ls-add', sw, '--', 'lsp-add', sw, `${sw}-port`]);
    const ports = await waitFor(
      async () => {
        const names = await portsIn(member);
        return names.includes(`${sw}-port`) ? names : undefined;
      },
      { what: `${sw}-port in ${member}'s copy of the northbound database`, timeoutMs: 30_000 },
    );

    // Its disk replaced: the files go while it runs (it keeps writing to what it had open),
    // then its pod, which the StatefulSet makes again on the same folder, now empty.
    const folder = path.join(hostPaths.ovnCentral, member);
    const files = (await readdir(folder)).filter((f) => /^ovn(nb|sb)_db\.db$/.test(f));
    expect(files.sort()).toEqual(['ovnnb_db.db', 'ovnsb_db.db']);
    for (const f of files) await rm(path.join(folder, f));
    const t = Date.now();
    await k(['delete', 'pod', member, '-n', system, '--wait=false']);

    // Both clusters as they were, the member in them under a new server ID, its former self
    // gone from every member's view: three servers, one leader.
    const after = await waitFor(
      async () => {
        const all = await Promise.all(centralMembers.map(views));
        const settled = all.every((vs, i) =>
          vs.every(
            (v) =>
              v.status === 'cluster member' &&
              v.servers === 3 &&
              v.leader !== 'unknown' &&
              (i > 0 || v.sid !== before.find((b) => b.db === v.db)?.sid),
          ),
        );
        return settled ? all : undefined;
      },
      {
        what: `${member} back in both clusters under a new server ID, with three servers each`,
        timeoutMs: 180_000,
        intervalMs: 500,
        describe: async () => JSON.stringify(await Promise.all(centralMembers.map(views))),
      },
    );
    const tBack = Date.now();
    console.log(
      `${member} without its databases: back in both clusters with three servers each in ${String(tBack - t)} ms; ${JSON.stringify(after[0])}`,
    );
    for (const db of dbs) {
      const of = (vs: Awaited<ReturnType<typeof views>>) => vs.find((v) => v.db === db);
      // The same cluster, not one of its own.
      expect(after.map((vs) => of(vs)?.cid)).toEqual(Array(3).fill(of(before)?.cid));
      expect(after.map((vs) => of(vs)?.role).filter((r) => r === 'leader')).toHaveLength(1);
    }
    // It has the cluster's data: the same ports, read from its own copy.
    expect(await portsIn(member)).toEqual(ports);
    await allReady(everyPod);
    // The member's own log says what it did, each database's container its own part.
    for (const name of dbs) {
      const log = await k(['logs', '-n', system, member, '-c', name]);
      expect(log).toMatch(
        new RegExp(
          `asked for the removal of [0-9a-f]{4}, this member's former self at \\S+, from the ${name} cluster`,
        ),
      );
    }
    await ovnCtl('nb', ['ls-del', sw]);
  }, 600_000);

  it('rolls every component on helm upgrade without losing any state', async () => {
    const before = await ovnCtl('nb', ['--columns=_uuid', '--bare', 'list', 'Logical_Switch_Port']);
    const objects = await kcloudObjects();
    // By uid: a StatefulSet's replacement pod has its predecessor's name.
    const oldPods = new Set((await pods()).map((p) => p.metadata.uid));
    const tlsSecrets = async () =>
      (
        await getJson<{ items: { metadata: { name: string }; data: Record<string, string> }[] }>([
          'get',
          'secrets',
          '-n',
          system,
          '-l',
          'app.kubernetes.io/component=ovn-tls',
        ])
      ).items
        .map((s) => `${s.metadata.name} ${s.data['tls.crt'] ?? ''}`)
        .sort();
    const certsBefore = await tlsSecrets();
    expect(certsBefore).toHaveLength(4);
    // Changed values for the manager and both OVN workloads: each one's pods are replaced,
    // OVN central one member at a time, each stopping before its successor opens the same
    // databases.
    await helmOk(cluster.kubeconfig, [
      'upgrade',
      release,
      chartDir,
      '--namespace',
      system,
      '--values',
      valuesFile,
      '--set',
      'manager.logLevel=debug',
      '--set',
      'ovn.central.resources.limits.memory=768Mi',
      '--set',
      'ovn.host.resources.limits.memory=768Mi',
    ]);
    for (const workload of [
      `deployment/${release}-manager`,
      `statefulset/${release}-ovn-central`,
      `daemonset/${release}-ovn-host`,
    ]) {
      await k(['rollout', 'status', workload, '-n', system, '--timeout=300s']);
    }
    const now = await allReady(everyPod);
    // The CA and every certificate are the ones the install issued.
    expect(await tlsSecrets()).toEqual(certsBefore);
    const replaced = now
      .filter((p) => !oldPods.has(p.metadata.uid))
      .map(component)
      .sort();
    expect(replaced).toEqual([
      'manager',
      'manager',
      'ovn-central',
      'ovn-central',
      'ovn-central',
      'ovn-host',
    ]);
    for (const p of now.filter((x) => component(x) === 'manager')) {
      expect(p.spec.containers[0]?.args).toContain('--log-level=debug');
    }
    // The same objects, all Ready, and the same OVN rows (not re-created).
    const after = await allObjectsReady(objects.length);
    expect(after.map((o) => o.metadata.uid).sort()).toEqual(
      objects.map((o) => o.metadata.uid).sort(),
    );
    const rows = await ovnCtl('nb', ['--columns=_uuid', '--bare', 'list', 'Logical_Switch_Port']);
    expect(rows.split('\n').filter(Boolean).sort()).toEqual(
      before.split('\n').filter(Boolean).sort(),
    );
    // The host is the same chassis again, and the manager writes to the new OVN central.
    await waitFor(
      async () =>
        (await ovnCtl('sb', ['--columns=name', '--bare', 'list', 'Chassis'])).trim() ===
          'kcloud-node' || undefined,
      { what: 'chassis kcloud-node registered again', timeoutMs: 60_000 },
    );
    await k(['apply', '-f', '-'], nic('after-upgrade', 'demo-db'));
    const made = await nicPort('after-upgrade');
    expect(made.status?.ipAddress).toMatch(/^10\.10\.2\./);
    expect((await ovnCtl('nb', ['lsp-get-addresses', made.status?.portName ?? '?'])).trim()).toBe(
      `${made.status?.macAddress ?? ''} ${made.status?.ipAddress ?? ''}`,
    );
  });

  it('uninstalls leaving no pods, RBAC or OVN state, and keeps the CRDs', async () => {
    // Deleting the objects first is what removes their OVN rows: the manager does it.
    expect(await ovnCtl('nb', ['--columns=_uuid', '--bare', 'list', 'ACL'])).not.toBe('');
    // Only the namespaced kinds: `delete kcloud -n` would also delete every cluster-scoped
    // object of the category (Hosts, StoragePools), the other tests' among them.
    const kinds = (
      await k(['api-resources', '--categories=kcloud', '--namespaced=true', '-o', 'name'])
    )
      .split('\n')
      .filter(Boolean);
    await k(['delete', kinds.join(','), '--all', '-n', tenant, '--timeout=120s']);
    const tables = ['Logical_Switch', 'Logical_Router', 'Port_Group', 'ACL', 'DHCP_Options'];
    let rows: string[] = [];
    const left = await waitFor(
      async () => {
        rows = [];
        for (const table of tables) {
          const out = await ovnCtl('nb', ['--columns=_uuid', '--bare', 'list', table]);
          if (out.trim()) rows.push(`${table}: ${out.trim().replace(/\s+/g, ' ')}`);
        }
        return rows.length === 0 ? rows : undefined;
      },
      {
        what: `no ${tables.join(', ')} rows left in the northbound database`,
        timeoutMs: 30_000,
        describe: () => Promise.resolve(rows.join('\n')),
      },
    );
    expect(left).toEqual([]);
    const res = await helm(cluster.kubeconfig, [
      'uninstall',
      release,
      '--namespace',
      system,
      '--wait',
    ]);
    expect(res.stderr).toBe('');
    installed = false;
    await waitFor(async () => ((await pods()).length === 0 ? true : undefined), {
      what: `no pods left in ${system}`,
      timeoutMs: 120_000,
    });
    const selector = `app.kubernetes.io/instance=${release}`;
    for (const ns of [system, tenant]) {
      const left = await k([
        'get',
        'serviceaccounts,roles,rolebindings,services,deployments,statefulsets,daemonsets,poddisruptionbudgets,secrets,networkpolicies',
        '-n',
        ns,
        '-l',
        selector,
        '-o',
        'name',
      ]);
      expect(`${ns}: ${left.trim()}`).toBe(`${ns}: `);
    }
    expect(
      (
        await k([
          'get',
          'clusterroles,clusterrolebindings,validatingadmissionpolicies,validatingadmissionpolicybindings,mutatingadmissionpolicies,mutatingadmissionpolicybindings',
          '-l',
          selector,
          '-o',
          'name',
        ])
      ).trim(),
    ).toBe('');
    // Every container is gone from the node, so are the Open vSwitch devices in their namespace.
    await waitFor(
      () => Promise.resolve(shimPids(layout.containerdSocket).length === 0 || undefined),
      {
        what: 'no container shims left on the node',
        timeoutMs: 60_000,
      },
    );
    expect(
      cgroupPids(cgroupRoot).map((pid) => readFileSync(`/proc/${String(pid)}/comm`, 'utf8').trim()),
    ).toEqual([]);
    // No VM either: they live outside the pods' cgroups, and the agents stopped them when their
    // Instances were deleted (no QEMU, no run directory left).
    expect(cgroupPids(vmCgroup)).toEqual([]);
    expect(await nodeVms()).toEqual([]);
    const crds = await k(['get', 'crd', '-o', 'name']);
    for (const kind of ['vpcs', 'subnets', 'networkinterfaces']) {
      expect(crds).toContain(`customresourcedefinition.apiextensions.k8s.io/${kind}.vpc.kcloud.io`);
    }
  });
});
