// NetworkInterface: an address in a Subnet, one OVN logical switch port. VMs, EIPs and load
// balancers attach to it.
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
import { IPv4Address, MACAddress } from './network-schema.ts';

/** A rate limit in whole Mbit/s: 1 Mbit/s up to 100 Gbit/s. */
const BandwidthMbps = (description: string) =>
  Type.Integer({ description, minimum: 1, maximum: 100_000 });

export const NetworkInterface = defineKind({
  group: 'vpc.kcloud.io',
  version: 'v1alpha1',
  kind: 'NetworkInterface',
  plural: 'networkinterfaces',
  shortNames: ['eni'],
  scope: 'Namespaced',
  description:
    'NetworkInterface is a virtual network card in a Subnet: an address, a MAC, and the SecurityGroups that filter its traffic. Instances, EIPs and load balancers attach to it.',
  spec: Type.Object(
    {
      subnetRef: Immutable(
        LocalObjectReference('Subnet', 'The Subnet the interface is in. It cannot be changed.'),
        'subnetRef is immutable',
      ),
      ipAddress: Type.Optional(
        Immutable(
          IPv4Address(
            'A fixed address inside the Subnet. Left out, a free address is chosen. It cannot be changed.',
          ),
          'ipAddress is immutable',
        ),
      ),
      macAddress: Type.Optional(
        Immutable(
          MACAddress(
            'A fixed unicast MAC address in lower case. Left out, one is generated. It cannot be changed.',
          ),
          'macAddress is immutable',
        ),
      ),
      securityGroupRefs: Type.Optional(
        Type.Array(
          LocalObjectReference(
            'SecurityGroup',
            'A SecurityGroup that filters the traffic of this interface.',
          ),
          {
            description:
              'SecurityGroups applied to the interface. Without any, inbound traffic is denied and outbound allowed.',
            maxItems: 5,
          },
        ),
      ),
      portSecurity: Type.Optional(
        Type.Boolean({
          description:
            "Drop traffic whose source MAC or IP is not the interface's own (anti-spoofing). Default true; turn off only for appliances that route or bridge.",
          default: true,
        }),
      ),
      reserveOnly: Type.Optional(
        Type.Boolean({
          description:
            "Only hold the address: the interface's OVN port does not answer ARP for it and draws no traffic to it, while no other interface can take it. For an address something else answers, such as a LoadBalancer's VIP (the VPC's router answers for it); nothing can be plugged into such an interface. Default false. Changing it rewrites the port at once; the address stays the interface's.",
        }),
      ),
      bandwidth: Type.Optional(
        Type.Object(
          {
            egressMbps: Type.Optional(
              BandwidthMbps(
                'The most the interface may send (what its owner sends out), in Mbit/s. Omitted: no limit.',
              ),
            ),
            ingressMbps: Type.Optional(
              BandwidthMbps(
                'The most the interface may receive (what is sent to its owner), in Mbit/s. Omitted: no limit.',
              ),
            ),
          },
          {
            description:
              'Bandwidth limits of the interface, enforced by OVN QoS meters on its port; packets beyond them are dropped. Can be changed at any time: the new limits apply at once.',
          },
        ),
      ),
    },
    { description: 'NetworkInterfaceSpec is the desired state of a NetworkInterface.' },
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      ipAddress: Type.Optional(Type.String({ description: 'The address the interface holds.' })),
      macAddress: Type.Optional(Type.String({ description: 'The MAC address of the interface.' })),
      portName: Type.Optional(
        Type.String({
          description:
            'Name of the OVN logical switch port; a host plugs the interface into OVS with external_ids:iface-id set to it.',
        }),
      ),
      gatewayIP: Type.Optional(Type.String({ description: 'The default gateway of the Subnet.' })),
      prefixLength: Type.Optional(
        Type.Integer({ description: 'The prefix length of the Subnet.', minimum: 0, maximum: 32 }),
      ),
      attachedTo: Type.Optional(
        Type.String({
          description: 'What the interface is attached to, as kind/name, if anything.',
        }),
      ),
    },
    { description: 'NetworkInterfaceStatus is the observed state of a NetworkInterface.' },
  ),
  specValidations: [
    { rule: 'has(self.ipAddress) == has(oldSelf.ipAddress)', message: 'ipAddress is immutable' },
    { rule: 'has(self.macAddress) == has(oldSelf.macAddress)', message: 'macAddress is immutable' },
  ],
  printerColumns: [
    {
      name: 'Subnet',
      type: 'string',
      jsonPath: '.spec.subnetRef.name',
      description: 'The Subnet.',
    },
    { name: 'IP', type: 'string', jsonPath: '.status.ipAddress', description: 'The address.' },
    {
      name: 'MAC',
      type: 'string',
      jsonPath: '.status.macAddress',
      description: 'The MAC address.',
    },
    {
      name: 'Egress',
      type: 'integer',
      jsonPath: '.spec.bandwidth.egressMbps',
      description: 'The most it may send, in Mbit/s; empty: no limit.',
      priority: 1,
    },
    {
      name: 'Ingress',
      type: 'integer',
      jsonPath: '.spec.bandwidth.ingressMbps',
      description: 'The most it may receive, in Mbit/s; empty: no limit.',
      priority: 1,
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type NetworkInterfaceSpec = SpecOf<typeof NetworkInterface>;
export type NetworkInterfaceStatus = StatusOf<typeof NetworkInterface>;
export type NetworkInterfaceObject = ObjectOf<typeof NetworkInterface>;
