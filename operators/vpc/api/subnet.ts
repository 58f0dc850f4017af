// Subnet: a range of a VPC's addresses, one OVN logical switch attached to the VPC's router.
import Type from 'typebox';
import {
  Immutable,
  LocalObjectReference,
  StandardStatus,
  defineKind,
  phaseColumn,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';
import { IPv4Address, IPv4CIDR, IPv4Range, ipv4Number } from './network-schema.ts';

// The gateway's place in its Subnet, and the Subnet's size, as CEL integers.
const gatewayOffset = `(${ipv4Number('self.gatewayIP')} - ${ipv4Number("self.cidrBlock.split('/')[0]")})`;
const subnetSize = `[${Array.from({ length: 33 }, (_, i) => String(2 ** (32 - i))).join(', ')}][cidr(self.cidrBlock).prefixLength()]`;

export const Subnet = defineKind({
  group: 'vpc.kcloud.io',
  version: 'v1alpha1',
  kind: 'Subnet',
  plural: 'subnets',
  shortNames: ['subnet'],
  scope: 'Namespaced',
  description:
    'Subnet is a range of addresses inside a VPC that NetworkInterfaces take their addresses from. Subnets of one VPC reach each other through the VPC router.',
  spec: Type.Object(
    {
      vpcRef: Immutable(
        LocalObjectReference('VPC', 'The VPC this Subnet belongs to. It cannot be changed.'),
        'vpcRef is immutable',
      ),
      cidrBlock: Immutable(
        IPv4CIDR(
          'The IPv4 range of the Subnet, such as 10.0.1.0/24, with a prefix from /16 to /29. It must lie inside one of the VPC ranges and not overlap another Subnet of the VPC. It cannot be changed.',
          { min: 16, max: 29 },
        ),
        'cidrBlock is immutable',
      ),
      gatewayIP: Type.Optional(
        Immutable(
          IPv4Address(
            'The address of the VPC router in this Subnet, the default gateway of its instances. Defaults to the first usable address of cidrBlock. It cannot be changed.',
          ),
          'gatewayIP is immutable',
        ),
      ),
      excludedRanges: Type.Optional(
        Type.Array(IPv4Range('An address or inclusive range never given to a NetworkInterface.'), {
          description:
            'Addresses the Subnet never hands out, for equipment outside kcloud. The network and broadcast addresses and the gateway are always excluded.',
          maxItems: 32,
        }),
      ),
      dhcp: Type.Optional(
        Type.Object(
          {
            enabled: Type.Boolean({
              description:
                "Whether the network answers DHCP with each interface's address. Default true.",
              default: true,
            }),
            leaseTimeSeconds: Type.Optional(
              Type.Integer({
                description: 'How long a DHCP lease lasts, in seconds. Default 3600.',
                minimum: 60,
                maximum: 86400,
                default: 3600,
              }),
            ),
          },
          { description: 'DHCP served by the network itself, without a DHCP server to run.' },
        ),
      ),
      dnsServers: Type.Optional(
        Type.Array(IPv4Address('A DNS server address handed out by DHCP.'), {
          description: "DNS servers handed out by DHCP; defaults to the VPC's.",
          maxItems: 4,
        }),
      ),
    },
    { description: 'SubnetSpec is the desired state of a Subnet.' },
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      switchName: Type.Optional(
        Type.String({ description: 'Name of the OVN logical switch that implements the Subnet.' }),
      ),
      gatewayIP: Type.Optional(Type.String({ description: 'The gateway address in use.' })),
      availableIPs: Type.Optional(
        Type.Integer({
          description: 'Addresses still free for NetworkInterfaces.',
          minimum: 0,
          maximum: 16777216,
        }),
      ),
      usedIPs: Type.Optional(
        Type.Integer({
          description: 'Addresses held by NetworkInterfaces.',
          minimum: 0,
          maximum: 16777216,
        }),
      ),
    },
    { description: 'SubnetStatus is the observed state of a Subnet.' },
  ),
  specValidations: [
    {
      rule: '!has(self.gatewayIP) || !isCIDR(self.cidrBlock) || cidr(self.cidrBlock).containsIP(self.gatewayIP)',
      message: 'gatewayIP must be inside cidrBlock',
    },
    {
      rule: `!has(self.gatewayIP) || !isCIDR(self.cidrBlock) || !isIP(self.gatewayIP) || !cidr(self.cidrBlock).containsIP(self.gatewayIP) || (${gatewayOffset} != 0 && ${gatewayOffset} != ${subnetSize} - 1)`,
      message:
        'gatewayIP must not be the network or the broadcast address of cidrBlock, e.g. 10.0.1.1 in 10.0.1.0/24',
    },
    {
      rule: "!has(self.excludedRanges) || !isCIDR(self.cidrBlock) || self.excludedRanges.all(r, r.split('-').all(a, !isIP(a) || cidr(self.cidrBlock).containsIP(a)))",
      message: 'every excluded address must lie inside cidrBlock',
    },
    { rule: 'has(self.gatewayIP) == has(oldSelf.gatewayIP)', message: 'gatewayIP is immutable' },
  ],
  printerColumns: [
    { name: 'VPC', type: 'string', jsonPath: '.spec.vpcRef.name', description: 'The VPC.' },
    { name: 'CIDR', type: 'string', jsonPath: '.spec.cidrBlock', description: 'The IPv4 range.' },
    {
      name: 'Available',
      type: 'integer',
      jsonPath: '.status.availableIPs',
      description: 'Addresses still free.',
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type SubnetSpec = SpecOf<typeof Subnet>;
export type SubnetStatus = StatusOf<typeof Subnet>;
export type SubnetObject = ObjectOf<typeof Subnet>;
