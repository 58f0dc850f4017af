// A private OVN for one test file, in a fresh folder under .local/test-runs/, and a manager on
// it set up by the test: started before the file's tests, both stopped (the OVN purged) after.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import type { Manager, ManagerOptions } from '../../controllers/manager/index.ts';
import { repoRoot } from '../../hack/cluster/index.ts';
import {
  connection,
  down,
  nbctl,
  ovnLayout,
  up,
  type OvnConnection,
  type OvnLayout,
  type UpOptions,
} from '../../hack/ovn/index.ts';
import { startManager, type RunningManager } from './manager.ts';

export interface PrivateOvn {
  layout(): OvnLayout;
  /** ovn-nbctl against it; a failure throws with its stderr. */
  nb(args: string[]): Promise<string>;
  /** Stops the manager and starts a new one on the same OVN (a restart). */
  restart(): Promise<void>;
}

export function usePrivateOvn(
  /** The run folder's prefix, such as `ovn-eip-`. */
  prefix: string,
  options: UpOptions,
  setup: (mgr: Manager, conn: OvnConnection) => void,
  /** Read when the manager starts (the test's namespace exists only from then on). */
  managerOptions: () => Partial<ManagerOptions> = () => ({}),
): PrivateOvn {
  let layout: OvnLayout | undefined;
  let running: RunningManager | undefined;
  const current = () => {
    if (!layout) throw new Error('the OVN of this test has not started');
    return layout;
  };
  const start = async () => {
    const conn = await connection(current());
    running = await startManager((mgr) => {
      setup(mgr, conn);
    }, managerOptions());
  };
  beforeAll(async () => {
    const base = path.join(repoRoot, '.local', 'test-runs');
    await mkdir(base, { recursive: true });
    layout = ovnLayout(await mkdtemp(path.join(base, prefix)));
    await up(layout, options);
    await start();
  });
  afterAll(async () => {
    await running?.stop();
    if (layout) {
      await down(layout, { purge: true });
      await rm(layout.runDir, { recursive: true, force: true });
    }
  });
  return {
    layout: current,
    nb: async (args) => {
      const r = await nbctl(current(), args);
      if (r.code !== 0) throw new Error(`ovn-nbctl ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    },
    restart: async () => {
      await running?.stop();
      running = undefined;
      await start();
    },
  };
}
