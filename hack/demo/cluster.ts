// make demo-cluster: the same demo as `make demo`, but kcloud runs from its Helm chart on a
// real local node (images built here, no registry) instead of as processes on the machine.
// make demo-cluster-down: uninstalls the chart and removes the node.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { chartDir, helm, helmOk, localClusterValues, memberNbctl } from '../chart/index.ts';
import { devLayout, kubectlOk, repoRoot } from '../cluster/index.ts';
import { buildImages, imageTag, importImages } from '../images/index.ts';
import {
  devNodeLayout,
  down as nodeDown,
  nodeNetwork,
  readNodeState,
  up as nodeUp,
} from '../node/index.ts';
import { prepareDemoHostRoot } from './host-root.ts';
import { applyFiles, sampleFiles, startDevControlPlane, waitReady } from './samples.ts';
import { stopServices } from './services.ts';

const log = (line: string) => {
  console.log(line);
};
const namespace = 'kcloud-system';
const release = 'kcloud';
const evsSample = path.join(repoRoot, 'operators', 'evs', 'samples', 'evs.yaml');

interface SampleObject {
  kind?: string;
  spec?: {
    file?: { path?: string };
    source?: { hostFile?: { host?: string; path?: string } };
  };
}

/**
 * The EVS samples for the node: they name the demo host's files as its agent sees them under
 * --host-root (`make demo`); on the node those files are under `hostRoot`, where the chart's
 * pool and import folders are (localClusterValues), and the host is the node.
 */
async function evsSampleOnNode(hostRoot: string, out: string): Promise<string> {
  const docs = parseAllDocuments(await readFile(evsSample, 'utf8')).map(
    (d) => d.toJS() as SampleObject | null,
  );
  const onNode = (p: string) => path.join(hostRoot, p);
  for (const o of docs) {
    const file = o?.spec?.file;
    if (o?.kind === 'StoragePool' && file?.path) file.path = onNode(file.path);
    const hostFile = o?.spec?.source?.hostFile;
    if (o?.kind === 'Image' && hostFile?.path) {
      hostFile.path = onNode(hostFile.path);
      hostFile.host = nodeNetwork.nodeName;
    }
  }
  await writeFile(out, docs.map((d) => stringify(d)).join('---\n'));
  return out;
}

async function demo(): Promise<void> {
  const layout = await startDevControlPlane(log);
  const cfg = layout.kubeconfig;
  // The chart's manager takes over: two managers on the same objects would fight.
  await stopServices(log);

  log('== images');
  let t = Date.now();
  const images = await buildImages({ outDir: path.join(repoRoot, '.local', 'images') });
  for (const i of images) log(`${i.ref} (${(i.bytes / 2 ** 20).toFixed(0)} MiB) ${i.archive}`);
  log(`built in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  log('== local node');
  const node = devNodeLayout();
  await nodeUp(node, layout, log);
  t = Date.now();
  await importImages(node.containerdSocket, images);
  log(`images imported in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  log(`== helm upgrade --install ${release} charts/kcloud -n ${namespace}`);
  const values = path.join(node.runDir, 'values.yaml');
  const hostRoot = path.join(node.runDir, 'host');
  await writeFile(values, stringify(localClusterValues({ hostRoot, tag: await imageTag() })));
  process.stdout.write(
    await helmOk(cfg, [
      'upgrade',
      '--install',
      release,
      chartDir,
      '--namespace',
      namespace,
      '--create-namespace',
      '--values',
      values,
    ]),
  );
  for (const workload of [
    `statefulset/${release}-ovn-central`,
    `daemonset/${release}-ovn-host`,
    `deployment/${release}-manager`,
    `daemonset/${release}-agent`,
  ]) {
    await kubectlOk(cfg, ['rollout', 'status', workload, '-n', namespace, '--timeout=300s']);
  }
  log('== kubectl get pods -n kcloud-system');
  process.stdout.write(await kubectlOk(cfg, ['get', 'pods', '-n', namespace, '-o', 'wide']));

  // The EVS samples' pool directory and image file, made on the node as `make demo` makes them
  // on its host; the agent image carries qemu-img and the other host tools.
  const image = await prepareDemoHostRoot(hostRoot);
  log(`the EVS samples' pool and image file are on the node under ${hostRoot}; image ${image}`);
  const evs = await evsSampleOnNode(hostRoot, path.join(node.runDir, 'evs-samples.yaml'));
  // Not the ECS instances: `make demo` boots them on its own host's data plane; through the
  // chart, test/cluster/chart.test.ts boots one.
  const samples = (await sampleFiles(['ecs'])).map((f) => (f === evsSample ? evs : f));
  log(`== samples (${samples.length} files)`);
  process.stdout.write(await applyFiles(cfg, samples));
  await waitReady(cfg, samples);
  log('all samples Ready');
  log('== kubectl get kcloud -A');
  process.stdout.write(await kubectlOk(cfg, ['get', 'kcloud', '-A']));
  log('== what the manager pods programmed into the in-cluster OVN (ovn-nbctl show)');
  process.stdout.write(
    await kubectlOk(
      cfg,
      // A member of the northbound cluster, leader or not: a follower answers reads.
      memberNbctl(namespace, `${release}-ovn-central-0`, ['show']),
    ),
  );

  log(`
kcloud runs from its chart on the local node. Use it with:
  export KUBECONFIG=${cfg}
  kubectl get pods -n ${namespace}
  kubectl exec -n ${namespace} ${release}-ovn-central-0 -c nb -- ovn-nbctl --no-leader-only --db=unix:/var/run/ovn/ovnnb_db.sock show
  kubectl logs -n ${namespace} deploy/${release}-manager
Stop it with: make demo-cluster-down (then make down for the control plane)`);
}

async function teardown(): Promise<void> {
  // Without a node there is no release to uninstall either: nothing to do.
  if (!(await readNodeState(devNodeLayout()))) return;
  const cfg = devLayout().kubeconfig;
  const res = await helm(cfg, ['uninstall', release, '--namespace', namespace, '--wait']);
  if (res.code === 0) log(res.stdout.trim());
  else if (/not found/.test(res.stderr)) log(`no release ${release} in ${namespace}`);
  else log(`helm uninstall: ${res.stderr.trim()}`);
  await nodeDown(devNodeLayout(), log);
}

const action = process.argv[2] === 'down' ? teardown : demo;
action().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
