import type { UpOptions } from './ovn.ts';

/** `up`'s flags; undefined when they are not usable. */
export function parseUpFlags(
  flags: string[],
): Pick<UpOptions, 'dataPlane' | 'chassis'> | undefined {
  const options: Pick<UpOptions, 'dataPlane' | 'chassis'> = {};
  for (const flag of flags) {
    if (flag === '--data-plane') options.dataPlane = true;
    else if (flag === '--no-data-plane') options.dataPlane = false;
    else if (flag.startsWith('--chassis=')) options.chassis = flag.slice('--chassis='.length);
    else return undefined;
  }
  return options;
}
