// The one place where a product that runs a NetworkInterface's owner says which host may carry
// it: an annotation, not a spec field, because it is not the interface's owner's wish but a
// fact about where its consumer runs (ECS sets it to the chassis of the host an instance is
// bound to). The VPC operator writes it into the port as OVN's options:requested-chassis, so
// that only that chassis' ovn-controller binds the port.
/** The annotation: the name of the OVN chassis (its Open vSwitch's system-id) that may bind the port. */
export const requestedChassisAnnotation = 'vpc.kcloud.io/requested-chassis';

/**
 * What a chassis name may be here: one name, as Open vSwitch's external_ids:system-id usually
 * is (a host name or a UUID). OVN reads a comma in requested-chassis as a list of chassis (a
 * port claimed by several), so anything but one plain name would mean more than was asked.
 */
export const chassisNamePattern = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,252}$';
const chassisName = new RegExp(chassisNamePattern);

export function isChassisName(value: string): boolean {
  return chassisName.test(value);
}

/**
 * The chassis an object's annotation asks for: none when it has no annotation, the name when
 * it is one, or `invalid` with the value as written.
 */
export function requestedChassisOf(obj: {
  metadata: { annotations?: Record<string, string> | undefined };
}): { chassis?: string } | { invalid: string } {
  const value = obj.metadata.annotations?.[requestedChassisAnnotation];
  if (value === undefined) return {};
  return isChassisName(value) ? { chassis: value } : { invalid: value };
}
