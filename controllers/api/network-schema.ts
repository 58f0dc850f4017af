// Schema pieces shared by the network kinds (VPC, EIP). Addresses are checked by the API server
// itself with Kubernetes' CEL IP and CIDR library, so a bad address never gets stored. Every address and
// CIDR must also be written the one way OVN reads it back (canonical, no host bits): a spec
// string goes into OVN matches, routes and DHCP options verbatim, and what OVN reads must be
// exactly what was validated here (OVN 23.03 silently masks `10.0.2.5/24` to the whole /24;
// newer releases refuse the match, which drops the ACL).
import Type, { type TString } from 'typebox';
import { WithValidations } from './schema.ts';
import type { ValidationRule } from './structural.ts';

/**
 * A CEL expression for the IPv4 address in the CEL string expression `text` as an integer, so
 * that addresses can be ordered (the IP library has no ordering). `text` must be an address.
 */
export function ipv4Number(text: string): string {
  const octet = (i: number) => `int(${text}.split('.')[${String(i)}])`;
  return `(${octet(0)} * 16777216 + ${octet(1)} * 65536 + ${octet(2)} * 256 + ${octet(3)})`;
}

/** Rules every IPv4 CIDR obeys: syntax, no host bits, and the canonical spelling. */
function cidrRules(example: string): ValidationRule[] {
  return [
    {
      rule: 'isCIDR(self) && cidr(self).ip().family() == 4',
      message: `must be an IPv4 CIDR such as ${example}`,
    },
    {
      rule: '!isCIDR(self) || cidr(self) == cidr(self).masked()',
      message: `must be a network address with no host bits set, e.g. 10.0.1.0/24 rather than 10.0.1.5/24 (for one host, use /32: 10.0.1.5/32)`,
    },
    {
      rule: '!isCIDR(self) || string(cidr(self)) == self',
      message: 'must be written in canonical form, e.g. 10.0.1.0/24',
    },
  ];
}

/** An IPv4 network in CIDR notation with no host bits set, its prefix within bounds. */
export function IPv4CIDR(description: string, prefix: { min: number; max: number }): TString {
  return WithValidations(Type.String({ description, minLength: 9, maxLength: 18 }), [
    ...cidrRules('10.0.0.0/16'),
    {
      rule: `!isCIDR(self) || (cidr(self).prefixLength() >= ${String(prefix.min)} && cidr(self).prefixLength() <= ${String(prefix.max)})`,
      message: `prefix length must be between /${String(prefix.min)} and /${String(prefix.max)}`,
    },
  ]);
}

/**
 * An IPv4 network of any prefix, /0 to /32, with no host bits set (a route or rule
 * destination): `10.0.1.5/32` is one host, `10.0.1.5/24` is refused rather than read as the
 * whole /24.
 */
export function AnyIPv4CIDR(description: string): TString {
  return WithValidations(
    Type.String({ description, minLength: 9, maxLength: 18 }),
    cidrRules('0.0.0.0/0, 192.168.1.0/24 or 192.168.1.7/32'),
  );
}

/** An IPv4 address in canonical dotted-decimal form. */
export function IPv4Address(description: string): TString {
  return WithValidations(Type.String({ description, minLength: 7, maxLength: 15 }), [
    {
      rule: 'isIP(self) && ip(self).family() == 4 && ip.isCanonical(self)',
      message: 'must be an IPv4 address such as 10.0.1.10',
    },
  ]);
}

/** `10.0.1.10` or an inclusive range `10.0.1.10-10.0.1.20` that does not end before it starts. */
export function IPv4Range(description: string): TString {
  const ends = "self.split('-')";
  return WithValidations(Type.String({ description, minLength: 7, maxLength: 31 }), [
    {
      rule: `${ends}.size() <= 2 && ${ends}.all(a, isIP(a) && ip(a).family() == 4 && ip.isCanonical(a))`,
      message: 'must be an IPv4 address or a range such as 10.0.1.10-10.0.1.20',
    },
    {
      rule: `${ends}.size() != 2 || !${ends}.all(a, isIP(a) && ip(a).family() == 4) || ${ipv4Number(`${ends}[0]`)} <= ${ipv4Number(`${ends}[1]`)}`,
      message: 'a range must not end before it starts, e.g. 10.0.1.10-10.0.1.20',
    },
  ]);
}

export function MACAddress(description: string): TString {
  return WithValidations(
    Type.String({
      description,
      pattern: '^([0-9a-f]{2}:){5}[0-9a-f]{2}$',
      minLength: 17,
      maxLength: 17,
    }),
    [
      {
        // The low bit of the first octet marks multicast, which no NIC may use.
        rule: "self.substring(1, 2) in ['0', '2', '4', '6', '8', 'a', 'c', 'e']",
        message: 'must be a unicast MAC address (the first octet must be even), in lower case',
      },
      {
        rule: "self != '00:00:00:00:00:00'",
        message: 'must not be the all-zero MAC address',
      },
    ],
  );
}
