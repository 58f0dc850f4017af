// A real node (containerd, kubelet, kube-proxy, CoreDNS and the kube-scheduler the control plane
// lacks) joins the control plane the integration run shares. A pod from an image built here
// runs on it, a ClusterIP Service reaches it from the host and from another pod, cluster DNS
// resolves the Service's name, and `down` leaves nothing behind on the machine.
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  hasExited,
  kubectl,
  repoRoot,
  residentBytes,
  serverVersion,
  type RunLayout,
} from '../../hack/cluster/index.ts';
import {
  down,
  importGoImage,
  nodeBinary,
  nodeLayout,
  nodeNetwork,
  readNodeState,
  up,
  type NodeLayout,
  type NodeState,
} from '../../hack/node/index.ts';
import { mountsUnder, readSysctls } from '../../hack/node/host.ts';
import { cgroupRoot, systemBinaries } from '../../hack/node/layout.ts';
import { shimPids } from '../../hack/node/runtime.ts';
import { waitFor } from '../harness/index.ts';
import {
  acquireNodeLock,
  kubectlOn,
  nodeTestCluster,
  releaseNodeLock,
  releaseNodeTestCluster,
  type NodeTestCluster,
} from './node-fixture.ts';

const run = promisify(execFile);
const netcheckImage = 'kcloud.local/netcheck:1';
const netcheckSource = path.join(repoRoot, 'test', 'cluster', 'netcheck', 'main.go');
const ns = `node-${randomBytes(3).toString('hex')}`;
const net = nodeNetwork;

let cluster: RunLayout;
/** What beforeAll got to, so afterAll undoes exactly that even when a step failed. */
let testCluster: NodeTestCluster | undefined;
let layout: NodeLayout;
let nodeAttempted = false;
const { k, getJson } = kubectlOn(() => cluster);

interface Pod {
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { state?: { terminated?: { exitCode: number; message?: string } } }[];
  };
}

const podReady = (pod: Pod) =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 2_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`status ${String(res.statusCode)}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

function pod(name: string, args: string[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [{ name, image: netcheckImage, imagePullPolicy: 'Never', args, ...extra }],
      ...(args[0] === 'probe' ? { restartPolicy: 'Never' } : {}),
    },
  });
}

beforeAll(async () => {
  testCluster = await nodeTestCluster('node');
  cluster = testCluster.cluster;
  layout = nodeLayout(path.join(cluster.runDir, 'node'));
  await acquireNodeLock();
  nodeAttempted = true;
  const started = Date.now();
  const info = await up(layout, cluster);
  console.log(`node ${info.nodeName} up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  await k(['create', 'namespace', ns]);
  // Waiting for the node lock can take as long as another node file's whole run.
}, 45 * 60_000);

afterAll(async () => {
  if (nodeAttempted) {
    await down(layout);
    await releaseNodeLock();
  }
  if (testCluster) {
    await kubectl(cluster.kubeconfig, ['delete', 'namespace', ns, '--wait=false']);
    await releaseNodeTestCluster(testCluster);
  }
}, 120_000);

describe('a real node added to the local control plane', () => {
  it('registers and is Ready at its own node IP, at the control plane’s version', async () => {
    const node = await getJson<{
      status: {
        conditions: { type: string; status: string }[];
        addresses: { type: string; address: string }[];
        nodeInfo: { kubeletVersion: string; containerRuntimeVersion: string };
      };
    }>(['get', 'node', net.nodeName]);
    expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: net.nodeIp });
    expect(node.status.nodeInfo.kubeletVersion).toBe((await serverVersion(cluster)).gitVersion);
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/1\.6\./);
  });

  it('runs a pod from an image built and imported here', async () => {
    const built = Date.now();
    await importGoImage(layout, netcheckImage, netcheckSource, 'netcheck');
    console.log(`netcheck image built and imported in ${Date.now() - built} ms`);
    const created = Date.now();
    await k(
      ['apply', '-f', '-'],
      pod('web', ['serve', ':8080'], {
        ports: [{ containerPort: 8080 }],
        readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
      }),
    );
    const ready = await waitFor(
      async () => {
        const p = await getJson<Pod>(['get', 'pod', 'web', '-n', ns]);
        return podReady(p) ? p : undefined;
      },
      {
        what: 'pod web Ready',
        timeoutMs: 60_000,
        describe: () => k(['get', 'pod', 'web', '-n', ns, '-o', 'yaml']),
      },
    );
    console.log(`pod web Ready ${Date.now() - created} ms after it was created`);
    expect(ready.status?.podIP).toMatch(/^10\.244\.0\.\d+$/);
    // The pod answers on its own address from the host too, over the bridge.
    expect(await httpGet(`http://${ready.status?.podIP ?? ''}:8080/`)).toBe('netcheck web\n');
  });

  it('reaches the pod through a ClusterIP Service from the host', async () => {
    await k(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: ns },
        spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
      }),
    );
    const svc = await getJson<{ spec: { clusterIP: string } }>(['get', 'service', 'web', '-n', ns]);
    expect(svc.spec.clusterIP).toMatch(/^10\.96\./);
    // kube-proxy writes the Service's rules once it sees the EndpointSlice: retry until then.
    const body = await waitFor(() => httpGet(`http://${svc.spec.clusterIP}/`).catch(() => false), {
      what: `http://${svc.spec.clusterIP}/ answering from the host`,
      timeoutMs: 30_000,
    });
    expect(body).toBe('netcheck web\n');
  });

  it('resolves the Service’s DNS name and reaches it from another pod', async () => {
    const svc = await getJson<{ spec: { clusterIP: string } }>(['get', 'service', 'web', '-n', ns]);
    const name = `web.${ns}.svc.cluster.local`;
    await k(
      ['apply', '-f', '-'],
      pod('probe', ['probe', name, `http://${svc.spec.clusterIP}/`, `http://${name}/`]),
    );
    const done = await waitFor(
      async () => {
        const p = await getJson<Pod>(['get', 'pod', 'probe', '-n', ns]);
        return ['Succeeded', 'Failed'].includes(p.status?.phase ?? '') ? p : undefined;
      },
      {
        what: 'the probe pod to finish',
        timeoutMs: 150_000,
        describe: () => k(['get', 'pod', 'probe', '-n', ns, '-o', 'yaml']),
      },
    );
    const message = done.status?.containerStatuses?.[0]?.state?.terminated?.message ?? '{}';
    const report = JSON.parse(message) as {
      addresses?: string[];
      dnsError?: string;
      fetches: { url: string; body?: string; error?: string }[];
    };
    expect(report.dnsError).toBeUndefined();
    expect(report.addresses).toEqual([svc.spec.clusterIP]);
    expect(report.fetches).toEqual([
      { url: `http://${svc.spec.clusterIP}/`, body: 'netcheck web\n' },
      { url: `http://${name}/`, body: 'netcheck web\n' },
    ]);
    expect(done.status?.phase).toBe('Succeeded');
  });

  it('lets a pod reach the API server as the kubernetes Service, trusting the cluster CA', async () => {
    await k(
      ['apply', '-f', '-'],
      pod('api-probe', [
        'probe',
        'kubernetes.default.svc.cluster.local',
        'https://kubernetes.default.svc/readyz',
      ]),
    );
    const done = await waitFor(
      async () => {
        const p = await getJson<Pod>(['get', 'pod', 'api-probe', '-n', ns]);
        return ['Succeeded', 'Failed'].includes(p.status?.phase ?? '') ? p : undefined;
      },
      {
        what: 'the API probe pod to finish',
        timeoutMs: 150_000,
        describe: () => k(['get', 'pod', 'api-probe', '-n', ns, '-o', 'yaml']),
      },
    );
    const message = done.status?.containerStatuses?.[0]?.state?.terminated?.message ?? '{}';
    const report = JSON.parse(message) as {
      addresses?: string[];
      fetches: { url: string; body?: string; error?: string }[];
    };
    expect(report.addresses).toEqual(['10.96.0.1']);
    expect(report.fetches).toEqual([{ url: 'https://kubernetes.default.svc/readyz', body: 'ok' }]);
    expect(done.status?.phase).toBe('Succeeded');
    // The API server reaches the kubelet too: the pod's log through kubectl.
    const logs = await k(['logs', 'api-probe', '-n', ns]);
    expect(logs).toContain('"url":"https://kubernetes.default.svc/readyz","body":"ok"');
  });

  it('comes with the Helm v4 client that installs charts into it', async () => {
    const version = await run(nodeBinary('helm'), ['version', '--template', '{{.Version}}']);
    expect(version.stdout).toMatch(/^v4\.\d+\.\d+$/);
  });

  it('runs every component, each within a modest memory footprint', async () => {
    const state = await readNodeState(layout);
    const rss = Object.fromEntries(
      (state?.processes ?? []).map((p) => [p.name, residentBytes(p.pid) / 2 ** 20]),
    );
    console.log(
      `resident memory (MiB): ${Object.entries(rss)
        .map(([n, mib]) => `${n} ${mib.toFixed(0)}`)
        .join(', ')}`,
    );
    for (const name of [
      'containerd',
      'kube-scheduler',
      'kubelet',
      'kube-proxy',
      'kube-router',
      'coredns',
    ]) {
      expect(rss[name]).toBeGreaterThan(0);
      expect(rss[name]).toBeLessThan(1024);
    }
  });

  it('down removes every process, mount, cgroup, rule, interface and folder it made', async () => {
    const state = (await readNodeState(layout)) as NodeState;
    const pids = [...state.processes.map((p) => p.pid), ...shimPids(layout.containerdSocket)];
    expect(shimPids(layout.containerdSocket).length).toBeGreaterThan(0);
    expect(mountsUnder(layout.runDir).length).toBeGreaterThan(0);

    await down(layout);

    expect(pids.filter((pid) => !hasExited(pid))).toEqual([]);
    expect(shimPids(layout.containerdSocket)).toEqual([]);
    expect(mountsUnder(layout.runDir)).toEqual([]);
    expect(existsSync(layout.runDir)).toBe(false);
    for (const link of [net.dummyInterface, net.bridge]) {
      expect(existsSync(`/sys/class/net/${link}`)).toBe(false);
    }
    const tables = (await run(systemBinaries.nft, ['list', 'tables'])).stdout;
    expect(tables).not.toMatch(/kube-proxy/);
    const filter = (await run(systemBinaries.iptablesSave, ['-t', 'filter'])).stdout;
    expect(filter).not.toMatch(/KUBE-ROUTER|KUBE-POD-FW|KUBE-NWPLCY/);
    const cgroups = readdirSync('/sys/fs/cgroup').filter((h) =>
      existsSync(path.join('/sys/fs/cgroup', h, cgroupRoot)),
    );
    expect(cgroups).toEqual([]);
    expect(readSysctls()).toEqual(state.sysctls);
    expect(state.createdHostPaths.filter((p) => existsSync(p))).toEqual([]);
    const cniCache = existsSync('/var/lib/cni/results') ? readdirSync('/var/lib/cni/results') : [];
    expect(cniCache.filter((f) => f.startsWith(`${net.cniNetwork}-`))).toEqual([]);
    const logLinks = existsSync('/var/log/containers') ? readdirSync('/var/log/containers') : [];
    expect(
      logLinks.filter((f) =>
        readlinkSync(path.join('/var/log/containers', f)).startsWith(layout.podLogsDir),
      ),
    ).toEqual([]);
    const node = await kubectl(cluster.kubeconfig, ['get', 'node', net.nodeName]);
    expect(node.stderr).toMatch(/NotFound/);
  });
});
