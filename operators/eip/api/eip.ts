// EIP: an address of an EIPPool, bound to a target in the same namespace (a NetworkInterface, a
// NATGateway or a LoadBalancer): traffic to the address reaches the target, and the target's
// traffic out leaves with the address as its source.
import Type from 'typebox';
import {
  IPv4Address,
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

export const EIP = defineKind({
  group: 'eip.kcloud.io',
  version: 'v1alpha1',
  kind: 'EIP',
  plural: 'eips',
  shortNames: ['eip'],
  scope: 'Namespaced',
  description:
    'EIP is an address of an external network (an EIPPool) bound to a target of its namespace: traffic to the address reaches the target, and what the target sends out leaves from the address. Re-binding takes effect at once.',
  spec: Type.Object(
    {
      poolRef: Immutable(
        LocalObjectReference(
          'EIPPool',
          'The EIPPool the address comes from. It cannot be changed.',
        ),
        'poolRef is immutable',
      ),
      address: Type.Optional(
        Immutable(
          IPv4Address(
            'A particular address of the pool. It must lie in the allocatable ranges and be free; otherwise the EIP is Ready=False saying why, never given another address. Left out, a free one is chosen. It cannot be changed.',
          ),
          'address is immutable',
        ),
      ),
      binding: Type.Optional(
        Type.Object(
          {
            networkInterfaceRef: Type.Optional(
              LocalObjectReference(
                'NetworkInterface',
                'A NetworkInterface of the same namespace: its address is reached at the EIP and goes out from it.',
              ),
            ),
            natGatewayRef: Type.Optional(
              LocalObjectReference(
                'NATGateway',
                "A NATGateway of the same namespace: the EIP becomes an address its SNAT and DNAT rules can use. Several EIPs can be bound to one NATGateway; the NATGateway's rules decide what the address carries.",
              ),
            ),
            loadBalancerRef: Type.Optional(
              LocalObjectReference(
                'LoadBalancer',
                "A LoadBalancer (slb.kcloud.io) of the same namespace: each of its listeners is reached at the EIP's address on the listener's port too. A LoadBalancer has at most one EIP.",
              ),
            ),
          },
          {
            description:
              'What the EIP is bound to: exactly one target of its namespace. Edit it to re-bind, remove it to unbind; either takes effect at once. An interface or a LoadBalancer has at most one EIP; a NATGateway can have several.',
          },
        ),
      ),
      bandwidthMbps: Type.Optional(
        Type.Integer({
          description:
            'A bandwidth limit of the EIP in Mbit/s, in each direction: what reaches the target at the EIP, and what the target sends out from it. Enforced by OVN QoS meters on the pool network; packets beyond it are dropped. Omitted: no limit. Can be changed at any time.',
          minimum: 1,
          maximum: 100_000,
        }),
      ),
    },
    { description: 'EIPSpec is the desired state of an EIP.' },
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      address: Type.Optional(Type.String({ description: 'The address the EIP holds.' })),
      boundTo: Type.Optional(
        Type.String({
          description: 'The target the address is bound to now, as Kind/name; empty when unbound.',
        }),
      ),
    },
    { description: 'EIPStatus is the observed state of an EIP.' },
  ),
  specValidations: [
    { rule: 'has(self.address) == has(oldSelf.address)', message: 'address is immutable' },
    {
      rule: '!has(self.binding) || [has(self.binding.networkInterfaceRef), has(self.binding.natGatewayRef), has(self.binding.loadBalancerRef)].filter(x, x).size() == 1',
      message:
        'binding must name exactly one target: networkInterfaceRef, natGatewayRef or loadBalancerRef',
    },
  ],
  printerColumns: [
    { name: 'Pool', type: 'string', jsonPath: '.spec.poolRef.name', description: 'The EIPPool.' },
    { name: 'Address', type: 'string', jsonPath: '.status.address', description: 'The address.' },
    {
      name: 'Bound',
      type: 'string',
      jsonPath: '.status.boundTo',
      description: 'The target it is bound to.',
    },
    {
      name: 'Mbps',
      type: 'integer',
      jsonPath: '.spec.bandwidthMbps',
      description: 'The bandwidth limit in Mbit/s; empty: no limit.',
      priority: 1,
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type EIPSpec = SpecOf<typeof EIP>;
export type EIPStatus = StatusOf<typeof EIP>;
export type EIPObject = ObjectOf<typeof EIP>;
