import { ReconcileError } from '../../../controllers/external/index.ts';
import { formatCidr, formatIPv4, parseCidr, parseIPv4 } from '../ipam/index.ts';

/**
 * Refuses a CIDR that OVN would read as something else than it says. The API server refuses
 * them on create, but an object stored before it did keeps its value: CRD validation lets an
 * unchanged field through on update. Such a CIDR never reaches OVN; the object says what to
 * write instead.
 */
export function requireNetworkCidr(cidr: string, where: string): void {
  let network: string | undefined;
  try {
    network = formatCidr(parseCidr(cidr));
  } catch {
    network = undefined;
  }
  if (network === cidr) return;
  const address = cidr.split('/')[0] ?? '';
  const host = network ? `${formatIPv4(parseIPv4(address))}/32` : undefined;
  throw new ReconcileError(
    'CIDRHostBitsSet',
    network && host
      ? `${where} ${cidr} has host bits set, which OVN would read as ${network}: write ${host} for one host or ${network} for the network`
      : `${where} ${cidr} is not an IPv4 CIDR`,
    { retry: false },
  );
}
