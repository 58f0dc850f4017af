// The demo itself: the local control plane, OVN with its data plane, the manager and the
// agent, the samples Ready, the instances answering ping in the demo VPC; and its stop.
// `make demo` runs it on the project's .local (cli.ts), test/integration/demo under a folder
// of its own.
import path from 'node:path';
import { kubectl, kubectlOk, residentBytes } from '../cluster/index.ts';
import { auditApiServiceName } from '../../operators/platform/index.ts';
import { guestDir, readDemoGuest } from '../guest/index.ts';
import { down as ovnDown } from '../ovn/index.ts';
import {
  applyAgentAccess,
  demoAgentAccess,
  demoHost,
  writeAgentKubeconfig,
} from './agent-access.ts';
import { prepareDemoHostRoot } from './host-root.ts';
import { waitHostReady } from './hosts.ts';
import { listInstances, stopVms, vmFlags, waitAnswering, type InstanceRow } from './instances.ts';
import { runsOperator, syncFinalizerPolicies } from './finalizer-policies.ts';
import { startDemoOvn } from './ovn.ts';
import type { DemoPlaces } from './places.ts';
import {
  applyFiles,
  crdFiles,
  sampleFiles,
  startDevControlPlane,
  waitCrdsEstablished,
  waitLeader,
  waitReady,
} from './samples.ts';
import { demoAuditService, startServices, stopServices, type ServiceFlags } from './services.ts';

const systemNamespace = `apiVersion: v1
kind: Namespace
metadata:
  name: kcloud-system
---
# The audit API's Service: the manager runs on this machine (services.ts).
apiVersion: v1
kind: Service
metadata:
  name: ${demoAuditService.name}
  namespace: ${demoAuditService.namespace}
spec:
  type: ExternalName
  externalName: localhost
`;

export interface DemoOptions {
  /** DATA_PLANE, as the user gave it. */
  dataPlane: string | undefined;
  flags: ServiceFlags;
  log: (line: string) => void;
}

export interface DemoResult {
  dataPlane: boolean;
  nbSocket: string;
  instances: InstanceRow[];
}

/** The demo image's Image, as the EVS samples name it. */
const demoImage = { namespace: 'default', name: 'demo-image' };

/**
 * An Image imported before the samples imported the demo guest (a blank disk) cannot boot:
 * its instances would run without ever answering.
 */
async function checkDemoImage(kubeconfig: string): Promise<void> {
  const r = await kubectl(kubeconfig, [
    'get',
    'images.ecs.kcloud.io',
    demoImage.name,
    '-n',
    demoImage.namespace,
    '-o',
    'jsonpath={.status.sha256}',
  ]);
  const guest = await readDemoGuest(guestDir());
  if (r.code === 0 && r.stdout.trim() !== '' && r.stdout.trim() !== guest.sha256) {
    throw new Error(
      `the Image ${demoImage.namespace}/${demoImage.name} holds another file than the demo guest (sha256 ${r.stdout.trim()}, not ${guest.sha256}): it was imported by an older demo; \`make purge\` then \`make demo\` starts afresh`,
    );
  }
}

export async function runDemo(places: DemoPlaces, opts: DemoOptions): Promise<DemoResult> {
  const { log } = opts;
  const cfg = (await startDevControlPlane(log, places.cluster)).kubeconfig;

  const crds = await crdFiles();
  log(`== CRDs (${crds.length})`);
  if (crds.length > 0) {
    await applyFiles(cfg, crds);
    await waitCrdsEstablished(cfg, crds);
  }
  const ns = await kubectl(
    cfg,
    ['apply', '--server-side', '--field-manager=kcloud-demo', '-f', '-'],
    systemNamespace,
  );
  if (ns.code !== 0) {
    throw new Error(`creating namespace kcloud-system and its Service failed: ${ns.stderr}`);
  }
  // Host heartbeats live apart from the manager's leader Lease, and the agent runs as its
  // host's certificate user, whom the admission policy lets write only that host's Lease, Host
  // and bound objects.
  await applyAgentAccess(cfg, demoAgentAccess);
  const agentKubeconfig = await writeAgentKubeconfig(
    places.cluster.pkiDir,
    cfg,
    places.dir,
    demoHost,
  );
  // The API server puts the operators' finalizers on at create: what is created and deleted
  // while the manager is down is still metered (docs/metering.md), and the vpc operator writes
  // no finalizer of its own.
  await syncFinalizerPolicies(cfg, opts.flags['kcloud-manager'] ?? []);
  // The audit API's APIService, left by an earlier run whose manager served it, would make
  // every discovery warn that its group is unavailable while no manager serves it.
  if (!runsOperator(opts.flags['kcloud-manager'] ?? [], 'platform')) {
    await kubectlOk(cfg, ['delete', '--ignore-not-found', `apiservices/${auditApiServiceName}`]);
  }

  log(
    '== OVN (northbound and southbound databases, ovn-northd; data plane: Open vSwitch, ovn-controller)',
  );
  const ovn = await startDemoOvn(places.ovn, opts.dataPlane, log);
  const nb = ovn.connection.nb.unix;
  log(`OVN northbound database at ${nb}`);
  const dataPlane = ovn.options.dataPlane;

  const image = await prepareDemoHostRoot(places.hostRoot);
  log(
    `the demo host's files are under ${places.hostRoot} (its agent's --host-root); image ${image}`,
  );

  log('== kcloud-manager and kcloud-agent');
  const procs = await startServices(
    cfg,
    log,
    { KCLOUD_OVN_NB: nb, KCLOUD_OVN_SB: ovn.connection.sb.unix },
    opts.flags,
    {
      dir: places.dir,
      auditLog: path.join(places.cluster.auditDir, 'audit.log'),
      agent: {
        kubeconfig: agentKubeconfig,
        hostRoot: places.hostRoot,
        stateDir: places.agentStateDir,
        // Without a data plane no VM has a network to plug into: the agent runs none.
        vmFlags: dataPlane ? await vmFlags(places.ovn) : [],
      },
    },
  );
  for (const p of procs) {
    log(
      `${p.name} ready (pid ${p.pid}, ${(residentBytes(p.pid) / 2 ** 20).toFixed(0)} MiB, http://${p.healthAddr}/readyz)`,
    );
  }

  const samples = await sampleFiles(dataPlane ? [] : ['ecs']);
  log(
    `== samples (${samples.length} files${dataPlane ? '' : '; not the ECS instances: they need the data plane'})`,
  );
  if (samples.length > 0) {
    process.stdout.write(await applyFiles(cfg, samples));
    // Objects applied before may still show what an earlier manager did: only the manager
    // started here, holding the Lease, makes their Ready describe the current spec.
    const lease = procs.find((p) => p.name === 'kcloud-manager')?.lease;
    if (lease) {
      await waitLeader(cfg, lease);
      log(`kcloud-manager holds the Lease ${lease.namespace}/${lease.name} as ${lease.identity}`);
    }
    // Instances boot: the image import, the boot volumes and two guests under TCG take time.
    await waitReady(cfg, samples, 600_000);
    log('all samples Ready for their current generation');
  }

  await waitHostReady(cfg, demoHost);
  log(`== kubectl get hosts: ${demoHost}, registered by kcloud-agent, Ready while it heartbeats`);
  process.stdout.write((await kubectl(cfg, ['get', 'hosts', '-o', 'wide'])).stdout);

  let instances: InstanceRow[] = [];
  if (dataPlane) {
    await checkDemoImage(cfg);
    instances = (await listInstances(cfg)) ?? [];
    log(`== instances: each boots the demo guest, takes its address by DHCP and answers ping`);
    await waitAnswering(cfg, places.ovn, instances, log);
    process.stdout.write((await kubectl(cfg, ['get', 'ecs', '-A', '-o', 'wide'])).stdout);
  }

  log('== kubectl get kcloud -A');
  const got = await kubectl(cfg, ['get', 'kcloud', '-A']);
  if (got.code === 0) process.stdout.write(got.stdout || 'No kcloud resources.\n');
  else if (got.stderr.includes("doesn't have a resource type")) {
    log('no kcloud kinds are installed yet (crds/ is empty): the product operators add them');
  } else throw new Error(`kubectl get kcloud failed: ${got.stderr}`);

  for (const [namespace, what] of [
    ['kcloud-system', 'the manager leader'],
    [demoAgentAccess.hostsNamespace, 'host heartbeats'],
  ] as const) {
    const leases = await kubectl(cfg, ['get', 'leases', '-n', namespace]);
    log(`== leases in ${namespace}: ${what}`);
    process.stdout.write(leases.stdout);
  }
  return { dataPlane, nbSocket: nb, instances };
}

/**
 * Stops the manager and the agent, then the VMs the agent ran (before: the agent would start
 * them again), then OVN. The control plane is the caller's (make down stops it next).
 */
export async function stopDemo(places: DemoPlaces, log: (line: string) => void): Promise<void> {
  await stopServices(log, places.dir);
  await stopVms(places.agentStateDir, log);
  await ovnDown(places.ovn, { log });
}

export function usageText(places: DemoPlaces, r: DemoResult): string {
  const ip = (name: string) => r.instances.find((i) => i.name === name)?.ip ?? '<its IP>';
  return `
The system keeps running. Use it with:
  export KUBECONFIG=${places.cluster.kubeconfig}
  export PATH=${places.cluster.runDir.replace(/\/cluster$/, '/bin')}:$PATH   # the kubectl built here
  kubectl get kcloud -A
  kubectl get ecs -o wide        # the instances, their host and IP
  ovn-nbctl --db=${r.nbSocket} show      # what the VPC operator programmed
  make status                    # every process of the demo, and the instances
${
  r.dataPlane
    ? `Reach the instances (docs/ecs.md#reach-your-instances):
  hack/ovn.sh guest exec default/demo-web-1 -- ping -c 1 ${ip('demo-vm-1')}   # from a namespace in the VPC
  hack/ovn.sh guest exec default/demo-web-1 -- curl -s http://${ip('demo-vm-2')}/
  node hack/demo/cli.ts console default/demo-vm-1     # its serial console: root, password kcloud; Ctrl-] leaves`
    : '  (no data plane, so no instances: `make demo DATA_PLANE=1` adds it; see docs/vpc.md)'
}
Logs: .local/cluster/logs (control plane), .local/demo/logs (manager, agent), .local/ovn
Stop everything with: make down`;
}
