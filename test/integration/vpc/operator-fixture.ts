import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import { repoRoot } from '../../../hack/cluster/index.ts';
import {
  connection,
  down,
  nbctl,
  ovnLayout,
  up,
  type OvnLayout,
  type UpOptions,
} from '../../../hack/ovn/index.ts';
import type { Logger } from '../../../controllers/logging/logger.ts';
import { addVpcOperator, type VpcOperatorConfig } from '../../../operators/vpc/index.ts';
import {
  startManager,
  waitFor,
  type RunningManager,
  type TestCluster,
} from '../../harness/index.ts';

export const apiVersion = 'vpc.kcloud.io/v1alpha1';

/** A reference to a VPC-group object in the test namespace. */
export const ref = (kind: string, name: string) => ({ apiVersion, kind, name });

/** One YAML document of a VPC-group kind. */
export const doc = (kind: string, name: string, spec: object) =>
  `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: ${name}}\nspec: ${JSON.stringify(spec)}\n`;

/**
 * Waits until the object is Ready=False for its current generation and returns the reason it
 * gives: after an edit, the condition the previous spec earned does not count.
 */
export async function refusalReason(
  cluster: TestCluster,
  kind: string,
  name: string,
): Promise<string | undefined> {
  let last = '';
  return waitFor(
    async () => {
      const o = await cluster.read(ref(kind, name));
      const ready = o.status?.conditions?.find((c) => c.type === 'Ready');
      last = JSON.stringify({ generation: o.metadata?.generation, ready });
      const current =
        ready?.status === 'False' && ready.observedGeneration === o.metadata?.generation;
      return current ? (ready.reason ?? '') : undefined;
    },
    { what: `${kind} ${name} Ready=False for its generation`, describe: () => last },
  );
}

/**
 * A private OVN in a fresh folder under .local/test-runs/ and a manager running the vpc
 * operator on the test's namespace against it.
 */
export async function startOvnAndOperator(
  cluster: TestCluster,
  prefix: string,
  options: UpOptions,
  /** The manager's log; by default the harness's (errors only, or debug on request). */
  log?: Logger,
  /** Settings of the operator beside the database it is given. */
  operator: Omit<VpcOperatorConfig, 'nbEndpoints'> = {},
): Promise<{ layout: OvnLayout; running: RunningManager }> {
  const base = path.join(repoRoot, '.local', 'test-runs');
  await mkdir(base, { recursive: true });
  const layout = ovnLayout(await mkdtemp(path.join(base, prefix)));
  await up(layout, options);
  const running = await startOperator(layout, cluster.namespace, operator, log);
  return { layout, running };
}

/** A manager running the vpc operator on one namespace against a running OVN. */
export async function startOperator(
  layout: OvnLayout,
  namespace: string,
  operator: Omit<VpcOperatorConfig, 'nbEndpoints'> = {},
  log?: Logger,
): Promise<RunningManager> {
  const conn = await connection(layout);
  return startManager(
    (mgr) => {
      addVpcOperator(mgr, { nbEndpoints: [conn.nb.unix], ...operator });
    },
    { namespace, ...(log ? { log } : {}) },
  );
}

export interface VpcOperatorFixture {
  layout(): OvnLayout;
  /** ovn-nbctl against this test's northbound database; throws with its stderr on failure. */
  nb(args: string[]): Promise<string>;
  /** The manager running the operator (its metrics registry, say). */
  manager(): RunningManager['mgr'];
}

/**
 * A real OVN (NB, SB, ovn-northd) in a folder of the test's own and a manager running the vpc
 * operator on the test's namespace; both stopped after the file.
 */
export function useVpcOperator(
  cluster: TestCluster,
  opts: { log?: Logger } = {},
): VpcOperatorFixture {
  let layout: OvnLayout | undefined;
  let running: RunningManager | undefined;
  beforeAll(async () => {
    ({ layout, running } = await startOvnAndOperator(
      cluster,
      'ovn-vpc-',
      { dataPlane: false },
      opts.log,
    ));
  });
  afterAll(async () => {
    await running?.stop();
    if (layout) {
      await down(layout, { purge: true });
      await rm(layout.runDir, { recursive: true, force: true });
    }
  });
  const current = () => {
    if (!layout) throw new Error('the OVN of this test has not started');
    return layout;
  };
  return {
    layout: current,
    manager: () => {
      if (!running) throw new Error('the manager of this test has not started');
      return running.mgr;
    },
    nb: async (args) => {
      const r = await nbctl(current(), args);
      if (r.code !== 0) throw new Error(`ovn-nbctl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    },
  };
}
