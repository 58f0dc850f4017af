import type { LogicalSwitchPort } from '../../../controllers/ovsdb/nb/tables.ts';
import type { Desired } from './desired.ts';

/**
 * An interface's port fenced to one chassis when one is asked for: only that chassis'
 * ovn-controller binds it, so a host cut off from the cloud whose VM still runs cannot take the
 * port back from the host its instance moved to. Without one, any chassis may bind it (its
 * options are emptied, so a fence that was lifted is lifted in OVN too).
 */
export function withRequestedChassis<P extends Desired<LogicalSwitchPort>>(
  port: P,
  chassis: string | undefined,
): P {
  return { ...port, options: chassis !== undefined ? { 'requested-chassis': chassis } : {} };
}
