// EIPPool: an external network EIPs take their addresses from, bridged by OVN to a provider
// network of the hosts (an OVS bridge named in ovn-bridge-mappings).
import Type from 'typebox';
import {
  IPv4Address,
  IPv4CIDR,
  IPv4Range,
  Immutable,
  StandardStatus,
  defineKind,
  ipv4Number,
  phaseColumn,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';

const gatewayOffset = `(${ipv4Number('self.gatewayIP')} - ${ipv4Number("self.cidrBlock.split('/')[0]")})`;
const poolSize = `[${Array.from({ length: 33 }, (_, i) => String(2 ** (32 - i))).join(', ')}][cidr(self.cidrBlock).prefixLength()]`;
const Count = (description: string) =>
  Type.Optional(Type.Integer({ description, minimum: 0, maximum: 16777216 }));

export const EIPPool = defineKind({
  group: 'eip.kcloud.io',
  version: 'v1alpha1',
  kind: 'EIPPool',
  plural: 'eippools',
  shortNames: ['eippool'],
  scope: 'Cluster',
  description:
    'EIPPool is an external network, such as a range of public addresses, that EIPs take their addresses from. OVN bridges it to the provider network of the hosts named by providerNetwork.',
  spec: Type.Object(
    {
      cidrBlock: Immutable(
        IPv4CIDR(
          'The external network, such as 203.0.113.0/24, with a prefix from /8 to /30. It cannot be changed.',
          { min: 8, max: 30 },
        ),
        'cidrBlock is immutable',
      ),
      gatewayIP: Immutable(
        IPv4Address(
          "The external network's router, inside cidrBlock: the next hop of the VPC routers that have EIPs. It cannot be changed.",
        ),
        'gatewayIP is immutable',
      ),
      allocatableRanges: Type.Optional(
        Type.Array(IPv4Range('An address or inclusive range inside cidrBlock.'), {
          description:
            'The addresses EIPs are given. Left out: all of cidrBlock except its network, gateway and broadcast addresses, which are never given in any case.',
          maxItems: 32,
        }),
      ),
      providerNetwork: Immutable(
        Type.String({
          description:
            'The provider network the pool is on: a physical network name the hosts map to an OVS bridge with ovn-bridge-mappings (physnet:bridge). It cannot be changed.',
          pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
          minLength: 1,
          maxLength: 63,
        }),
        'providerNetwork is immutable',
      ),
    },
    { description: 'EIPPoolSpec is the desired state of an EIPPool.' },
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      switchName: Type.Optional(
        Type.String({ description: 'Name of the OVN logical switch of the external network.' }),
      ),
      total: Count('Addresses the pool can give out.'),
      used: Count('Addresses held by EIPs.'),
      available: Count('Addresses still free.'),
    },
    { description: 'EIPPoolStatus is the observed state of an EIPPool.' },
  ),
  specValidations: [
    {
      rule: '!isCIDR(self.cidrBlock) || !isIP(self.gatewayIP) || cidr(self.cidrBlock).containsIP(self.gatewayIP)',
      message: 'gatewayIP must be inside cidrBlock',
    },
    {
      rule: `!isCIDR(self.cidrBlock) || !isIP(self.gatewayIP) || !cidr(self.cidrBlock).containsIP(self.gatewayIP) || (${gatewayOffset} != 0 && ${gatewayOffset} != ${poolSize} - 1)`,
      message:
        'gatewayIP must not be the network or the broadcast address of cidrBlock, e.g. 203.0.113.1 in 203.0.113.0/24',
    },
    {
      rule: "!has(self.allocatableRanges) || !isCIDR(self.cidrBlock) || self.allocatableRanges.all(r, r.split('-').all(a, !isIP(a) || cidr(self.cidrBlock).containsIP(a)))",
      message: 'every allocatable address must lie inside cidrBlock',
    },
  ],
  printerColumns: [
    { name: 'CIDR', type: 'string', jsonPath: '.spec.cidrBlock', description: 'The network.' },
    {
      name: 'Provider',
      type: 'string',
      jsonPath: '.spec.providerNetwork',
      description: 'The provider network.',
    },
    { name: 'Used', type: 'integer', jsonPath: '.status.used', description: 'Addresses held.' },
    {
      name: 'Available',
      type: 'integer',
      jsonPath: '.status.available',
      description: 'Addresses still free.',
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type EIPPoolSpec = SpecOf<typeof EIPPool>;
export type EIPPoolStatus = StatusOf<typeof EIPPool>;
export type EIPPoolObject = ObjectOf<typeof EIPPool>;
