/** IPv4 addresses as unsigned 32-bit numbers, and the CIDR arithmetic IPAM needs. */

export interface Cidr {
  /** The network address. */
  network: number;
  prefix: number;
}

export function parseIPv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${text}`);
  let value = 0;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255)
      throw new Error(`not an IPv4 address: ${text}`);
    value = value * 256 + Number(p);
  }
  return value;
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export function parseCidr(text: string): Cidr {
  const [addr, len, extra] = text.split('/');
  const prefix = Number(len);
  if (addr === undefined || extra !== undefined || !/^\d{1,2}$/.test(len ?? '') || prefix > 32) {
    throw new Error(`not an IPv4 CIDR: ${text}`);
  }
  const ip = parseIPv4(addr);
  const size = 2 ** (32 - prefix);
  return { network: ip - (ip % size), prefix };
}

export function formatCidr(c: Cidr): string {
  return `${formatIPv4(c.network)}/${String(c.prefix)}`;
}

export function cidrSize(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function lastAddress(c: Cidr): number {
  return c.network + cidrSize(c) - 1;
}

export function containsIP(c: Cidr, ip: number): boolean {
  return ip >= c.network && ip <= lastAddress(c);
}

/** Whether `inner` lies wholly inside `outer`. */
export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && containsIP(outer, inner.network);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.network <= lastAddress(b) && b.network <= lastAddress(a);
}

/** `10.0.1.10` or `10.0.1.10-10.0.1.20` as an inclusive [first, last]. */
export function parseRange(text: string): [number, number] {
  const [a, b, extra] = text.split('-');
  if (a === undefined || extra !== undefined) throw new Error(`not an address range: ${text}`);
  const first = parseIPv4(a);
  const last = b === undefined ? first : parseIPv4(b);
  if (last < first) throw new Error(`range ends before it starts: ${text}`);
  return [first, last];
}
