// make demo: the local control plane, the manager and the agent, the samples, Ready, shown.
// make down: stops the manager and the agent (the Makefile then stops the control plane).
import { kubectl, residentBytes } from '../cluster/index.ts';
import { connection, devOvnLayout, down as ovnDown, up as ovnUp } from '../ovn/index.ts';
import {
  applyFiles,
  crdFiles,
  sampleFiles,
  startDevControlPlane,
  waitCrdsEstablished,
  waitReady,
} from './samples.ts';
import { startServices, stopServices } from './services.ts';

const log = (line: string) => {
  console.log(line);
};

const systemNamespace = `apiVersion: v1
kind: Namespace
metadata:
  name: kcloud-system
`;

async function demo(): Promise<void> {
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

  log('== OVN (northbound and southbound databases, ovn-northd)');
  await ovnUp(devOvnLayout(), { dataPlane: false, log });
  const nb = (await connection(devOvnLayout())).nb.unix;
  log(`OVN northbound database at ${nb}`);

  log('== kcloud-manager and kcloud-agent');
  const procs = await startServices(cfg, log, { KCLOUD_OVN_NB: nb });
  for (const p of procs) {
    log(
      `${p.name} ready (pid ${p.pid}, ${(residentBytes(p.pid) / 2 ** 20).toFixed(0)} MiB, http://${p.healthAddr}/readyz)`,
    );
  }

  const samples = await sampleFiles();
  log(`== samples (${samples.length} files)`);
  if (samples.length > 0) {
    process.stdout.write(await applyFiles(cfg, samples));
    await waitReady(cfg, samples);
    log('all samples Ready');
  }

  log('== kubectl get kcloud -A');
  const got = await kubectl(cfg, ['get', 'kcloud', '-A']);
  if (got.code === 0) process.stdout.write(got.stdout || 'No kcloud resources.\n');
  else if (got.stderr.includes("doesn't have a resource type")) {
    log('no kcloud kinds are installed yet (crds/ is empty): the product operators add them');
  } else throw new Error(`kubectl get kcloud failed: ${got.stderr}`);

  const lease = await kubectl(cfg, ['get', 'leases', '-n', 'kcloud-system']);
  log('== leases in kcloud-system: host heartbeats and the manager leader');
  process.stdout.write(lease.stdout);

  log(`
The system keeps running. Use it with:
  export KUBECONFIG=${cfg}
  export PATH=${layout.runDir.replace(/\/cluster$/, '/bin')}:$PATH   # the kubectl built here
  kubectl version
  kubectl get kcloud -A
  ovn-nbctl --db=${nb} show      # what the VPC operator programmed
Logs: .local/cluster/logs (control plane), .local/demo/logs (manager, agent), .local/ovn
Stop everything with: make down`);
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'down') {
    await stopServices(log);
    await ovnDown(devOvnLayout(), { log });
  } else await demo();
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
