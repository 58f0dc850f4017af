// A private OVN with its data plane for the length of a function, stopped by its recorded PIDs
// when the function settles, on SIGINT or SIGTERM, and as a last resort when the process exits.
import { readFileSync, rmSync } from 'node:fs';
import { isOurs, type RecordedProcess } from '../../hack/cluster/index.ts';
import { down, ovnLayout, up, type OvnInfo, type OvnLayout } from '../../hack/ovn/index.ts';

function recorded(layout: OvnLayout): RecordedProcess[] {
  try {
    const state = JSON.parse(readFileSync(layout.stateFile, 'utf8')) as {
      processes?: RecordedProcess[];
    };
    return state.processes ?? [];
  } catch {
    return [];
  }
}

/** Signals every recorded process that still runs its binary; never waits. */
function signalAll(layout: OvnLayout, signal: NodeJS.Signals): void {
  for (const proc of recorded(layout)) {
    if (!isOurs(proc)) continue;
    try {
      process.kill(proc.pid, signal);
    } catch {
      // Gone meanwhile.
    }
  }
}

export async function withOvn<R>(
  runDir: string,
  opts: { keep: boolean; log: (line: string) => void },
  fn: (layout: OvnLayout, info: OvnInfo) => Promise<R>,
): Promise<R> {
  const layout = ovnLayout(runDir);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= down(layout, { purge: !opts.keep, log: opts.log }).catch((err: unknown) => {
      opts.log(`stopping OVN: ${err instanceof Error ? err.message : String(err)}`);
    }));
  // The control plane's own handler exits the process once the control plane is down, which
  // may be before OVN is: so the daemons get their signal at once, and again at exit.
  const onSignal = () => {
    opts.log('stopping OVN');
    signalAll(layout, 'SIGTERM');
    void stop();
  };
  const onExit = () => {
    signalAll(layout, 'SIGKILL');
    if (!opts.keep) rmSync(runDir, { recursive: true, force: true });
  };
  process.prependListener('SIGINT', onSignal);
  process.prependListener('SIGTERM', onSignal);
  process.on('exit', onExit);
  try {
    const started = Date.now();
    const info = await up(layout, { dataPlane: true, chassis: 'bench-chassis' });
    opts.log(
      `OVN with data plane up in ${((Date.now() - started) / 1000).toFixed(1)} s (${runDir})`,
    );
    return await fn(layout, info);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stop();
    process.off('exit', onExit);
  }
}
