// Schema pieces shared by the VPC kinds. Addresses are checked by the API server itself with
// Kubernetes' CEL IP and CIDR library, so a bad address never gets stored.
import Type, { type TString } from 'typebox';
import { WithValidations } from '../../../controllers/api/index.ts';

/** An IPv4 network in CIDR notation with no host bits set, its prefix within bounds. */
export function IPv4CIDR(description: string, prefix: { min: number; max: number }): TString {
  return WithValidations(Type.String({ description, minLength: 9, maxLength: 18 }), [
    {
      rule: 'isCIDR(self) && cidr(self).ip().family() == 4',
      message: 'must be an IPv4 CIDR such as 10.0.0.0/16',
    },
    {
      rule: `!isCIDR(self) || (cidr(self).prefixLength() >= ${String(prefix.min)} && cidr(self).prefixLength() <= ${String(prefix.max)})`,
      message: `prefix length must be between /${String(prefix.min)} and /${String(prefix.max)}`,
    },
    {
      rule: '!isCIDR(self) || cidr(self) == cidr(self).masked()',
      message:
        'must be a network address with no host bits set, e.g. 10.0.1.0/24 rather than 10.0.1.5/24',
    },
  ]);
}

/** Any IPv4 CIDR, host bits allowed to be zero or not (a route or rule destination). */
export function AnyIPv4CIDR(description: string): TString {
  return WithValidations(Type.String({ description, minLength: 9, maxLength: 18 }), [
    {
      rule: 'isCIDR(self) && cidr(self).ip().family() == 4',
      message: 'must be an IPv4 CIDR such as 0.0.0.0/0 or 192.168.1.0/24',
    },
  ]);
}

export function IPv4Address(description: string): TString {
  return WithValidations(Type.String({ description, minLength: 7, maxLength: 15 }), [
    {
      rule: 'isIP(self) && ip(self).family() == 4',
      message: 'must be an IPv4 address such as 10.0.1.10',
    },
  ]);
}

/** `10.0.1.10` or an inclusive range `10.0.1.10-10.0.1.20`. */
export function IPv4Range(description: string): TString {
  return WithValidations(Type.String({ description, minLength: 7, maxLength: 31 }), [
    {
      rule: "self.split('-').size() <= 2 && self.split('-').all(a, isIP(a) && ip(a).family() == 4)",
      message: 'must be an IPv4 address or a range such as 10.0.1.10-10.0.1.20',
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
    ],
  );
}
