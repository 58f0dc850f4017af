// ovs-vsctl against this host's Open vSwitch database (the agent's --ovs-db, or its default
// socket), from an argument array, never a shell; a failure is a ReconcileError saying why.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ReconcileError } from '../../../controllers/external/index.ts';

const run = promisify(execFile);

/** Its stdout; `timeoutSeconds` is ovs-vsctl's own wait for the database. */
export async function ovsVsctl(
  ovsDb: string,
  args: string[],
  timeoutSeconds: number,
): Promise<string> {
  const db = ovsDb ? [`--db=${ovsDb}`] : [];
  try {
    const r = await run('ovs-vsctl', [...db, `--timeout=${String(timeoutSeconds)}`, ...args], {
      timeout: (timeoutSeconds + 10) * 1000,
      killSignal: 'SIGKILL',
    });
    return r.stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new ReconcileError(
        'HostToolMissing',
        'ovs-vsctl is not installed on this host: install Debian’s openvswitch-common',
      );
    }
    throw new ReconcileError(
      'OpenVSwitchFailed',
      `ovs-vsctl ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`,
    );
  }
}
