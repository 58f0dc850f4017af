import {
  cidrSize,
  containsIP,
  formatIPv4,
  lastAddress,
  parseCidr,
  parseIPv4,
  parseRange,
  type Cidr,
} from './ipv4.ts';

export interface PoolSpec {
  cidrBlock: string;
  gatewayIP?: string;
  excludedRanges?: string[];
  /**
   * Where addresses are handed out from (an EIP pool's allocatable ranges); left out, the whole
   * network. The exclusions still apply inside them.
   */
  allocatableRanges?: string[];
  /** What the network is called in messages: `subnet` (the default) or `pool`. */
  noun?: string;
  /**
   * How a holder is named in messages users read (holders are keys such as UIDs; users know
   * objects by name). Left out, the key itself.
   */
  describeHolder?: (holder: string) => string;
}

/**
 * Why an address cannot be had; each becomes a Ready=False reason on the holder (a product may
 * rename them for its own kinds).
 */
export type AllocationFailure =
  | { reason: 'IPOutsideSubnet'; message: string }
  | { reason: 'IPReserved'; message: string }
  | { reason: 'IPInUse'; message: string; holder: string }
  | { reason: 'SubnetFull'; message: string };

export type AllocationResult = { ok: true; ip: string } | ({ ok: false } & AllocationFailure);

/**
 * The addresses of one network (a Subnet, an EIP pool) and who holds them. Allocation is synchronous, so concurrent
 * reconciles in one process can never be handed the same address; the holders are rebuilt
 * after a restart from what is recorded (interface status and the OVN ports), never from
 * memory alone.
 *
 * Usable: the network's addresses (or those in its allocatable ranges) minus the network and
 * broadcast addresses, the gateway and the excluded ranges. Free addresses are handed out lowest first.
 */
export class AddressPool {
  readonly cidr: Cidr;
  readonly gateway: number;
  private readonly excluded: [number, number][];
  private readonly allocatable: [number, number][] | undefined;
  private readonly noun: string;
  /** address → holder (an interface's key) */
  private readonly held = new Map<number, string>();
  /** holder → address */
  private readonly byHolder = new Map<string, number>();
  /** Where the next scan for a free address starts; everything below it is taken. */
  private scanFrom: number;
  private readonly usable: number;
  private readonly describeHolder: (holder: string) => string;

  constructor(spec: PoolSpec) {
    this.describeHolder = spec.describeHolder ?? ((holder) => holder);
    this.cidr = parseCidr(spec.cidrBlock);
    if (cidrSize(this.cidr) < 4) throw new Error(`${spec.cidrBlock} is too small for a subnet`);
    this.gateway = spec.gatewayIP ? parseIPv4(spec.gatewayIP) : this.cidr.network + 1;
    if (!containsIP(this.cidr, this.gateway)) {
      throw new Error(`gateway ${formatIPv4(this.gateway)} is outside ${spec.cidrBlock}`);
    }
    this.excluded = (spec.excludedRanges ?? []).map(parseRange);
    this.allocatable = spec.allocatableRanges?.map(parseRange);
    this.noun = spec.noun ?? 'subnet';
    this.scanFrom = this.cidr.network + 1;
    let usable = 0;
    for (let ip = this.cidr.network; ip <= lastAddress(this.cidr); ip++)
      if (!this.reserved(ip)) usable++;
    this.usable = usable;
  }

  get gatewayIP(): string {
    return formatIPv4(this.gateway);
  }

  /** Why `ip` can never be handed out, or undefined if it can. */
  private reserved(ip: number): string | undefined {
    if (ip === this.cidr.network) return 'the network address';
    if (ip === lastAddress(this.cidr)) return 'the broadcast address';
    if (ip === this.gateway) return 'the gateway';
    if (this.excluded.some(([a, b]) => ip >= a && ip <= b)) return 'in an excluded range';
    if (this.allocatable && !this.allocatable.some(([a, b]) => ip >= a && ip <= b)) {
      return 'outside the allocatable ranges';
    }
    return undefined;
  }

  /** Usable addresses in total. */
  capacity(): number {
    return this.usable;
  }

  used(): number {
    return this.held.size;
  }

  available(): number {
    return this.capacity() - this.used();
  }

  holderOf(ip: string): string | undefined {
    return this.held.get(parseIPv4(ip));
  }

  addressOf(holder: string): string | undefined {
    const ip = this.byHolder.get(holder);
    return ip === undefined ? undefined : formatIPv4(ip);
  }

  /**
   * Gives `holder` an address: the one it already holds, else `wanted` if it is free and
   * usable, else the lowest free one. Asking again returns the same address (idempotent).
   */
  allocate(holder: string, wanted?: string): AllocationResult {
    const current = this.byHolder.get(holder);
    if (wanted !== undefined) {
      const ip = parseIPv4(wanted);
      if (current === ip) return { ok: true, ip: wanted };
      if (!containsIP(this.cidr, ip)) {
        return {
          ok: false,
          reason: 'IPOutsideSubnet',
          message: `${wanted} is outside the ${this.noun} ${this.cidrText()}`,
        };
      }
      const why = this.reserved(ip);
      if (why) {
        return {
          ok: false,
          reason: 'IPReserved',
          message: `${wanted} is ${why} of ${this.cidrText()}`,
        };
      }
      const other = this.held.get(ip);
      if (other !== undefined) {
        return {
          ok: false,
          reason: 'IPInUse',
          message: `${wanted} is already used by ${this.describeHolder(other)}`,
          holder: other,
        };
      }
      // Only now, with the new address certain, give up the old one.
      if (current !== undefined) this.release(holder);
      this.hold(holder, ip);
      return { ok: true, ip: wanted };
    }
    if (current !== undefined) return { ok: true, ip: formatIPv4(current) };
    for (let ip = this.scanFrom; ip < lastAddress(this.cidr); ip++) {
      if (this.reserved(ip) || this.held.has(ip)) continue;
      this.scanFrom = ip + 1;
      this.hold(holder, ip);
      return { ok: true, ip: formatIPv4(ip) };
    }
    return {
      ok: false,
      reason: 'SubnetFull',
      message: `no free address left in ${this.cidrText()}`,
    };
  }

  /**
   * Records an address already given out (rebuilding after a restart). Returns the holder that
   * already has it if that is someone else: a conflict the caller must report, not overwrite.
   */
  restore(holder: string, ip: string): string | undefined {
    const value = parseIPv4(ip);
    const other = this.held.get(value);
    if (other !== undefined && other !== holder) return other;
    const current = this.byHolder.get(holder);
    if (current !== undefined && current !== value) this.release(holder);
    this.hold(holder, value);
    return undefined;
  }

  release(holder: string): void {
    const ip = this.byHolder.get(holder);
    if (ip === undefined) return;
    this.byHolder.delete(holder);
    this.held.delete(ip);
    if (ip < this.scanFrom) this.scanFrom = ip;
  }

  private hold(holder: string, ip: number): void {
    this.held.set(ip, holder);
    this.byHolder.set(holder, ip);
  }

  private cidrText(): string {
    return `${formatIPv4(this.cidr.network)}/${String(this.cidr.prefix)}`;
  }
}
