import type { Clock } from '../../controllers/clock/index.ts';
import type { RecordedProcess } from '../cluster/index.ts';
import type { ComponentName, OvnOptions, Ports } from './components.ts';
import { appctl, sbctl } from './ctl.ts';
import { controllerCtl, type OvnLayout } from './layout.ts';
import { serves } from './ovsdb.ts';

export interface ProbeContext {
  layout: OvnLayout;
  ports: Ports;
  options: OvnOptions;
  clock: Clock;
}

/** Short: a probe is repeated until its deadline, and `status` runs all of them. */
const probeTimeout = { timeoutSeconds: 2 };

/** The southbound Chassis record ovn-controller writes when it registers. */
export async function chassisRegistered(layout: OvnLayout, chassis: string): Promise<boolean> {
  const r = await sbctl(
    layout,
    ['--bare', '--columns=name', 'find', 'Chassis', `name=${chassis}`],
    probeTimeout,
  );
  return r.code === 0 && r.stdout.trim() === chassis;
}

/** Does the component do its job yet? `proc` is its running process. */
export async function isReady(
  name: ComponentName,
  proc: RecordedProcess,
  ctx: ProbeContext,
): Promise<boolean> {
  const { layout, ports, clock } = ctx;
  const ask = async (target: string, args: string[]) => {
    const r = await appctl(layout, target, args, probeTimeout);
    return r.code === 0 ? r.stdout.trim() : undefined;
  };
  switch (name) {
    case 'ovsdb-nb':
    case 'ovsdb-sb': {
      // Both ways in: clients may connect over either.
      const [files, port, db] =
        name === 'ovsdb-nb'
          ? [layout.nb, ports.nb, 'OVN_Northbound']
          : [layout.sb, ports.sb, 'OVN_Southbound'];
      return (
        (await serves({ path: files.socket }, db, clock)) &&
        (await serves({ host: '127.0.0.1', port }, db, clock))
      );
    }
    case 'ovn-northd':
      // Active means it holds the southbound lock, so it is the one translating NB into SB.
      return (
        (await ask(layout.northdCtl, ['status'])) === 'Status: active' &&
        (await ask(layout.northdCtl, ['nb-connection-status'])) === 'connected' &&
        (await ask(layout.northdCtl, ['sb-connection-status'])) === 'connected'
      );
    case 'ovsdb-vswitch':
      return serves({ path: layout.vswitch.socket }, 'Open_vSwitch', clock);
    case 'ovs-vswitchd':
      // br-int is in its datapath once it has read and applied the configuration.
      return /^\s+br-int:$/m.test((await ask(layout.vswitchdCtl, ['dpif/show'])) ?? '');
    case 'ovn-controller':
      // The chassis may survive from an earlier run, so it must be connected as well.
      return (
        (await ask(controllerCtl(layout, proc.pid), ['connection-status'])) === 'connected' &&
        (await chassisRegistered(layout, ctx.options.chassis))
      );
  }
}
