#!/usr/bin/env node
// Memory of a manager process with nothing else in it: a fresh Node process starts a manager
// with the Counter controller on a namespace, waits until its cache holds every Counter and all
// are converged, and prints its memory as one JSON line. The benchmark process itself has
// created tens of thousands of objects by then; its resident memory says little about the
// runtime's.
//
// usage: node --expose-gc bench/runtime/memory-probe.ts <kubeconfig> <namespace> <objects>
import { realClock } from '../../controllers/clock/index.ts';
import { loadKubeConfig } from '../../controllers/kube/index.ts';
import { createLogger } from '../../controllers/logging/logger.ts';
import { sampleMemory, type MemorySample } from '../lib/memory.ts';
import { CounterManager } from './counter-manager.ts';

export interface ProbeOutput {
  /** Before the manager starts: Node and the modules loaded. */
  before: MemorySample;
  /** The manager running, its cache full and every object converged. */
  loaded: MemorySample;
  cached: number;
}

async function main(argv: string[]): Promise<void> {
  const [kubeconfig, namespace, objects] = argv;
  const expected = Number(objects);
  if (!kubeconfig || !namespace || !Number.isInteger(expected)) {
    throw new Error('usage: memory-probe.ts <kubeconfig> <namespace> <objects>');
  }
  const before = sampleMemory();
  const m = await CounterManager.start({
    kubeconfig: loadKubeConfig(kubeconfig),
    namespace,
    workers: 4,
    resyncPeriodMs: 10 * 60_000,
    clock: realClock,
    log: createLogger('kcloud-bench-probe', 'warn'),
  });
  try {
    await m.waitConverged(expected);
    const cached = m.informer.cache.size;
    if (cached !== expected) throw new Error(`the cache holds ${cached} objects, not ${expected}`);
    const output: ProbeOutput = { before, loaded: sampleMemory(), cached };
    console.log(JSON.stringify(output));
  } finally {
    await m.stop();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
