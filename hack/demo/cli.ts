// make demo: the local control plane, the manager and the agent, the samples, Ready, shown.
// make down: stops the manager and the agent (the Makefile then stops the control plane).
// make status: everything the demo runs.
// Variables: DATA_PLANE=1|0 (OVN's data plane; on by default for root), MANAGER_FLAGS and
// AGENT_FLAGS (extra flags for kcloud-manager and kcloud-agent).
import path from 'node:path';
import { kubectl, residentBytes, runCli } from '../cluster/index.ts';
import { devOvnLayout, down as ovnDown } from '../ovn/index.ts';
import {
  applyAgentAccess,
  demoAgentAccess,
  demoAgentKubeconfig,
  demoHost,
  writeAgentKubeconfig,
} from './agent-access.ts';
import { splitFlags } from './flags.ts';
import { waitHostReady } from './hosts.ts';
import { startDemoOvn } from './ovn.ts';
import { demoHostRoot, prepareDemoHostRoot } from './host-root.ts';
import {
  applyFiles,
  crdFiles,
  sampleFiles,
  startDevControlPlane,
  waitCrdsEstablished,
  waitLeader,
  waitReady,
} from './samples.ts';
import { startServices, stopServices } from './services.ts';
import { allReady, demoStatus, formatStatus } from './status.ts';

const log = (line: string) => {
  console.log(line);
};

const systemNamespace = `apiVersion: v1
kind: Namespace
metadata:
  name: kcloud-system
`;

async function demo(): Promise<void> {
  // Read first, so a mistake in them stops the demo before it starts anything.
  const flags = {
    'kcloud-manager': splitFlags(process.env.MANAGER_FLAGS ?? ''),
    'kcloud-agent': splitFlags(process.env.AGENT_FLAGS ?? ''),
  };
  const layout = await startDevControlPlane(log);
  const cfg = layout.kubeconfig;

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
  if (ns.code !== 0) throw new Error(`creating namespace kcloud-system failed: ${ns.stderr}`);
  // Host heartbeats live apart from the manager's leader Lease, and the agent runs as its
  // host's certificate user, whom the admission policy lets write only that host's Lease, Host
  // and bound objects.
  await applyAgentAccess(cfg, demoAgentAccess);
  await writeAgentKubeconfig(layout.pkiDir, cfg, path.dirname(demoAgentKubeconfig), demoHost);

  log(
    '== OVN (northbound and southbound databases, ovn-northd; data plane: Open vSwitch, ovn-controller)',
  );
  const ovn = await startDemoOvn(devOvnLayout(), process.env.DATA_PLANE, log);
  const nb = ovn.connection.nb.unix;
  log(`OVN northbound database at ${nb}`);

  const image = await prepareDemoHostRoot();
  log(`the demo host's files are under ${demoHostRoot} (its agent's --host-root); image ${image}`);

  log('== kcloud-manager and kcloud-agent');
  const procs = await startServices(cfg, log, { KCLOUD_OVN_NB: nb }, flags);
  for (const p of procs) {
    log(
      `${p.name} ready (pid ${p.pid}, ${(residentBytes(p.pid) / 2 ** 20).toFixed(0)} MiB, http://${p.healthAddr}/readyz)`,
    );
  }

  const samples = await sampleFiles();
  log(`== samples (${samples.length} files)`);
  if (samples.length > 0) {
    process.stdout.write(await applyFiles(cfg, samples));
    // Objects applied before may still show what an earlier manager did: only the manager
    // started here, holding the Lease, makes their Ready describe the current spec.
    const lease = procs.find((p) => p.name === 'kcloud-manager')?.lease;
    if (lease) {
      await waitLeader(cfg, lease);
      log(`kcloud-manager holds the Lease ${lease.namespace}/${lease.name} as ${lease.identity}`);
    }
    await waitReady(cfg, samples);
    log('all samples Ready for their current generation');
  }

  await waitHostReady(cfg, demoHost);
  log(`== kubectl get hosts: ${demoHost}, registered by kcloud-agent, Ready while it heartbeats`);
  process.stdout.write((await kubectl(cfg, ['get', 'hosts', '-o', 'wide'])).stdout);

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

  log(`
The system keeps running. Use it with:
  export KUBECONFIG=${cfg}
  export PATH=${layout.runDir.replace(/\/cluster$/, '/bin')}:$PATH   # the kubectl built here
  kubectl version
  kubectl get kcloud -A
  ovn-nbctl --db=${nb} show      # what the VPC operator programmed
  make status                    # every process of the demo: PID, address, ready or down
${
  ovn.options.dataPlane
    ? `  hack/ovn.sh guest add default/demo-web-1   # a network namespace plugged in as that interface
  hack/ovn.sh guest exec default/demo-web-1 -- ip address show eth0   # then see docs/vpc.md`
    : '  (no data plane: `make demo DATA_PLANE=1` adds it, to send packets; see docs/vpc.md)'
}
Logs: .local/cluster/logs (control plane), .local/demo/logs (manager, agent), .local/ovn
Stop everything with: make down`);
}

async function showStatus(): Promise<number> {
  const groups = await demoStatus();
  for (const line of formatStatus(groups)) log(line);
  return allReady(groups) ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'down') {
    await stopServices(log);
    await ovnDown(devOvnLayout(), { log });
    return 0;
  }
  if (argv[0] === 'status') return showStatus();
  await demo();
  return 0;
}

runCli(main);
