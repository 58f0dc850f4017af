// LoadBalancer: an L4 virtual address in a Subnet whose listeners spread connections over pools
// of members, programmed as OVN Load_Balancer rows. Only what OVN's load balancer does exactly is
// offered: hashing on the 5-tuple or the source address, source-address affinity with a
// timeout, health checks by OVN's service monitor, and weighted members.
import Type from 'typebox';
import {
  IPv4Address,
  Immutable,
  LocalObjectReference,
  StandardStatus,
  StringEnum,
  defineKind,
  phaseColumn,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';

const Name = (description: string) =>
  Type.String({ description, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' });

const Port = (description: string) => Type.Integer({ description, minimum: 1, maximum: 65535 });

const Listener = Type.Object(
  {
    name: Name('The listener’s name, unique in the LoadBalancer (a DNS label).'),
    protocol: StringEnum(['TCP', 'UDP', 'HTTP', 'HTTPS'], {
      description:
        'TCP or UDP. HTTP and HTTPS (L7) are refused until an L7 proxy exists; a listener is never silently downgraded to L4.',
    }),
    port: Port('The port of the VIP the listener accepts connections on.'),
    algorithm: Type.Optional(
      StringEnum(['FiveTupleHash', 'SourceIPHash'], {
        description:
          'How a member is chosen for a new connection: FiveTupleHash (default) hashes source and destination address and port and the protocol, spreading one client’s connections over the members; SourceIPHash hashes the client address only, so a client always reaches the same member while the members do not change. Round robin and least connections are not offered: OVN’s load balancer cannot do them.',
        default: 'FiveTupleHash',
      }),
    ),
    sessionPersistence: Type.Optional(
      Type.Object(
        {
          timeoutSeconds: Type.Integer({
            description:
              'How long after its last connection a client keeps going to the same member (OVN affinity_timeout), 1 to 65535 seconds.',
            minimum: 1,
            maximum: 65535,
          }),
        },
        {
          description:
            'Source-address persistence: new connections of a client go to the member its previous one went to, for timeoutSeconds after that one.',
        },
      ),
    ),
    backendPool: Name('The name of the backend pool (in spec.backendPools) the listener sends to.'),
  },
  { description: 'One listener: a protocol and port of the VIP and the pool it sends to.' },
);

const Member = Type.Object(
  {
    instanceRef: Type.Optional(
      LocalObjectReference(
        'Instance',
        'An ECS Instance of the same namespace: its interface in the LoadBalancer’s VPC receives the traffic.',
      ),
    ),
    networkInterfaceRef: Type.Optional(
      LocalObjectReference(
        'NetworkInterface',
        'A NetworkInterface of the same namespace, in the LoadBalancer’s VPC.',
      ),
    ),
    ip: Type.Optional(
      IPv4Address(
        'An address of an interface in the LoadBalancer’s VPC. Health checks need an interface, so a pool with a health check takes instanceRef or networkInterfaceRef members only.',
      ),
    ),
    port: Port('The port of the member connections are sent to.'),
    weight: Type.Optional(
      Type.Integer({
        description:
          'The member’s share of new connections, against the other members of its pool: a member of weight 2 gets twice the connections of one of weight 1. OVN is given the member once per share (weights divided by their greatest common divisor, at most 256 shares a pool).',
        minimum: 1,
        maximum: 100,
        default: 1,
      }),
    ),
    drain: Type.Optional(
      Type.Boolean({
        description:
          'true: the member gets no new connections; connections it already has go on until they end.',
        default: false,
      }),
    ),
  },
  { description: 'One member: exactly one of instanceRef, networkInterfaceRef or ip, and a port.' },
);

const HealthCheck = Type.Object(
  {
    intervalSeconds: Type.Optional(
      Type.Integer({
        description: 'Seconds between two probes of a member.',
        minimum: 1,
        maximum: 3600,
        default: 5,
      }),
    ),
    timeoutSeconds: Type.Optional(
      Type.Integer({
        description: 'Seconds a probe waits for its answer.',
        minimum: 1,
        maximum: 3600,
        default: 3,
      }),
    ),
    healthyThreshold: Type.Optional(
      Type.Integer({
        description: 'Probes in a row that must succeed before an offline member is online again.',
        minimum: 1,
        maximum: 100,
        default: 2,
      }),
    ),
    unhealthyThreshold: Type.Optional(
      Type.Integer({
        description: 'Probes in a row that must fail before a member is offline.',
        minimum: 1,
        maximum: 100,
        default: 3,
      }),
    ),
  },
  {
    description:
      'Health checks by OVN’s service monitor, with the listener’s protocol on the member’s own port (a TCP connection, or a UDP datagram answered by no ICMP port-unreachable). An offline member gets no new connections.',
  },
);

const BackendPool = Type.Object(
  {
    name: Name('The pool’s name, unique in the LoadBalancer (a DNS label).'),
    members: Type.Array(Member, {
      description: 'The members, at most 64.',
      maxItems: 64,
      'x-kubernetes-validations': [
        {
          rule: 'self.all(m, [has(m.instanceRef), has(m.networkInterfaceRef), has(m.ip)].filter(x, x).size() == 1)',
          message: 'a member names exactly one target: instanceRef, networkInterfaceRef or ip',
        },
      ],
    }),
    healthCheck: Type.Optional(HealthCheck),
  },
  {
    description: 'A backend pool: the members connections are spread over.',
    'x-kubernetes-validations': [
      {
        rule: '!has(self.healthCheck) || self.members.all(m, !has(m.ip))',
        message:
          'a pool with a health check takes instanceRef or networkInterfaceRef members only: OVN probes a member through its interface',
      },
    ],
  },
);

export const LoadBalancer = defineKind({
  group: 'slb.kcloud.io',
  version: 'v1alpha1',
  kind: 'LoadBalancer',
  plural: 'loadbalancers',
  shortNames: ['slb'],
  scope: 'Namespaced',
  description:
    'LoadBalancer is an L4 (TCP, UDP) virtual address (VIP) in a Subnet: each listener spreads the connections to a port of the VIP over the members of a backend pool, skipping members that fail their health check.',
  spec: Type.Object(
    {
      subnetRef: Immutable(
        LocalObjectReference(
          'Subnet',
          'The Subnet the VIP is taken from; the members must be in the same VPC. It cannot be changed.',
        ),
        'subnetRef is immutable',
      ),
      vip: Type.Optional(
        Immutable(
          IPv4Address(
            'A particular free address of the Subnet for the VIP; left out, one is chosen. It cannot be changed.',
          ),
          'vip is immutable',
        ),
      ),
      listeners: Type.Array(Listener, {
        description: 'The listeners, at most 16, each on its own protocol and port.',
        minItems: 1,
        maxItems: 16,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
        'x-kubernetes-validations': [
          {
            rule: "self.all(l, l.protocol != 'HTTP' && l.protocol != 'HTTPS')",
            message:
              'HTTP and HTTPS listeners need L7 load balancing, which is not available yet: use TCP',
          },
          {
            rule: 'self.all(a, self.filter(b, b.protocol == a.protocol && b.port == a.port).size() == 1)',
            message: 'two listeners use the same protocol and port',
          },
        ],
      }),
      backendPools: Type.Array(BackendPool, {
        description: 'The backend pools, at most 16.',
        maxItems: 16,
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    },
    { description: 'LoadBalancerSpec is the desired state of a LoadBalancer.' },
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      vip: Type.Optional(Type.String({ description: 'The VIP.' })),
      eip: Type.Optional(
        Type.String({
          description:
            'The address of the EIP bound to the LoadBalancer (eip.kcloud.io, binding.loadBalancerRef): each listener is reached there on its port too.',
        }),
      ),
      listeners: Type.Optional(
        Type.Array(
          Type.Object(
            {
              name: Type.String({ description: 'The listener.' }),
              members: Type.Integer({
                description: 'Members of its pool that get new connections.',
                minimum: 0,
                maximum: 256,
              }),
              healthyMembers: Type.Integer({
                description:
                  'Of those, the members OVN’s health check finds online (all of them without a health check).',
                minimum: 0,
                maximum: 256,
              }),
            },
            { description: 'One listener’s health.' },
          ),
          {
            description: 'The listeners and how many of their members serve.',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['name'],
          },
        ),
      ),
      members: Type.Optional(
        Type.Array(
          Type.Object(
            {
              pool: Type.String({ description: 'The backend pool.' }),
              target: Type.String({ description: 'The member as Kind/name, or its ip.' }),
              address: Type.String({ description: 'ip:port connections are sent to.' }),
              health: StringEnum(['Online', 'Offline', 'Unknown', 'Draining', 'Unchecked'], {
                description:
                  'Online or Offline as OVN’s service monitor last found it; Unknown before its first verdict; Draining: drain is set; Unchecked: the pool has no health check.',
              }),
            },
            { description: 'One member’s health.' },
          ),
          { description: 'Every member of every pool.' },
        ),
      ),
    },
    { description: 'LoadBalancerStatus is the observed state of a LoadBalancer.' },
  ),
  specValidations: [
    { rule: 'has(self.vip) == has(oldSelf.vip)', message: 'vip is immutable' },
    {
      rule: 'self.listeners.all(l, self.backendPools.exists(p, p.name == l.backendPool))',
      message: 'every listener’s backendPool must name a pool of spec.backendPools',
    },
  ],
  printerColumns: [
    { name: 'VIP', type: 'string', jsonPath: '.status.vip', description: 'The VIP.' },
    { name: 'EIP', type: 'string', jsonPath: '.status.eip', description: 'The EIP bound to it.' },
    {
      name: 'Subnet',
      type: 'string',
      jsonPath: '.spec.subnetRef.name',
      description: 'The Subnet of the VIP.',
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type LoadBalancerSpec = SpecOf<typeof LoadBalancer>;
export type LoadBalancerStatus = StatusOf<typeof LoadBalancer>;
export type LoadBalancerObject = ObjectOf<typeof LoadBalancer>;
