// Instance: a virtual machine. The manager schedules it onto a Host (the binding label and the
// Scheduled condition); the agent on that host runs it with QEMU and reports what it sees.
import Type from 'typebox';
import {
  Conditions,
  Immutable,
  Int64,
  LocalObjectReference,
  ObservedGeneration,
  Phase,
  StringEnum,
  defineKind,
  phaseColumn,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';
import { Volume } from '../../evs/api/index.ts';
import { ClusterRef, ComputeResources, Described, ImageRef } from './compute-schema.ts';
import { InstancePlacement } from './instance-placement.ts';

export const instancePhases = [
  'Pending',
  'Scheduling',
  'Starting',
  'Running',
  'Stopping',
  'Stopped',
  'Paused',
  'Migrating',
  'Failed',
  'Deleting',
  'Unknown',
] as const;

/** The manager's condition: the instance has a host (the binding label says which). */
export const scheduledCondition = 'Scheduled';
/** The host agent's condition: the VM is as the spec says (running, stopped or paused). */
export const provisionedCondition = 'Provisioned';
/** The host agent's: the guest agent in the VM answers (the platform can reach into the guest). */
export const guestAgentConnectedCondition = 'GuestAgentConnected';
/** The host agent's: the VM runs with another size than allocated; its next start applies it. */
export const restartRequiredCondition = 'RestartRequired';
/**
 * The manager's: whether the ports of the instance's interfaces are fenced to its host's OVN
 * chassis, so that no other host (one it was moved off, cut off but still running it) can bind
 * them.
 */
export const networkFencedCondition = 'NetworkFenced';
/**
 * The field manager of the host agent's part of an Instance's status (the same on every host:
 * the instance's current host writes it). The manager writes that part in its name only for a
 * fenced host, whose agent cannot.
 */
export const vmAgentFieldManager = 'ecs-vm-agent';
/** The agent's status fields beside its conditions. */
export const vmAgentStatusFields = ['bootTime', 'console'] as const;
/** The manager's finalizer on an Instance, written with its binding to a host. */
export const ecsFinalizer = 'ecs.kcloud.io/cleanup';
/** The host agent's finalizer, written with the binding too: the VM is stopped and gone first. */
export const vmFinalizer = 'ecs.kcloud.io/vm';

export const maxDataVolumes = 15;
export const maxNetworkInterfaces = 16;
export const maxUserDataBytes = 32768;

/**
 * The VNC password: the manager makes this Secret (key `password`) in the instance's namespace,
 * owned by the instance; a user may change its password.
 */
export const vncPasswordSecretName = (instanceName: string) => `${instanceName}-vnc`;
export const vncPasswordSecretKey = 'password';
/**
 * Agents read no tenant Secret: the manager copies the password into the hosts namespace, into
 * the Secret of this name labelled with the instance's host, and deletes it with the instance.
 */
export const vncPasswordCopyName = (instanceUid: string) => `ecs-vnc-${instanceUid}`;
/** User-data from a Secret: the manager's copy in the hosts namespace, for the seed. */
export const userDataCopyName = (instanceUid: string) => `ecs-userdata-${instanceUid}`;
export const userDataCopyKey = 'userData';
/** QEMU's VNC authentication uses at most 8 characters; printable ASCII only. */
export const vncPasswordPattern = /^[\x20-\x7e]{1,8}$/;

const dnsLabel = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

const NetworkInterfaceAttachment = Type.Object(
  {
    name: Type.String({
      description:
        'Name of the interface within the instance, such as eth0: a lower-case label, unique in the instance. Status reports each interface under this name.',
      minLength: 1,
      maxLength: 15,
      pattern: dnsLabel,
    }),
    primary: Type.Optional(
      Immutable(
        Type.Boolean({
          description:
            'The primary interface carries the default route and the address the instance is known by. Exactly one interface is primary. It cannot be changed.',
          default: false,
        }),
        'which interface is primary cannot be changed',
      ),
    ),
    networkInterfaceRef: Type.Optional(
      Immutable(
        LocalObjectReference(
          'NetworkInterface',
          'A NetworkInterface (vpc.kcloud.io) that already exists; it must not be attached to another instance. It cannot be changed (remove the entry and add another).',
        ),
        'networkInterfaceRef is immutable: remove the interface and add another',
      ),
    ),
    subnetRef: Type.Optional(
      Immutable(
        LocalObjectReference(
          'Subnet',
          'The Subnet (vpc.kcloud.io) of a NetworkInterface made for this instance and deleted with it. It cannot be changed.',
        ),
        'subnetRef is immutable: remove the interface and add another',
      ),
    ),
    securityGroupRefs: Type.Optional(
      Type.Array(
        LocalObjectReference('SecurityGroup', 'A SecurityGroup that filters the interface.'),
        {
          description:
            'SecurityGroups (vpc.kcloud.io) of the NetworkInterface made for this instance. Without any, inbound traffic is denied and outbound allowed.',
          maxItems: 5,
        },
      ),
    ),
    ipAddress: Type.Optional(
      Immutable(
        Type.String({
          description:
            'A fixed IPv4 address inside the Subnet for the NetworkInterface made for this instance. Left out, a free address is chosen. It cannot be changed.',
          minLength: 7,
          maxLength: 15,
          'x-kubernetes-validations': [
            {
              rule: 'isIP(self) && ip(self).family() == 4 && ip.isCanonical(self)',
              message: 'must be an IPv4 address such as 10.0.1.10',
            },
          ],
        }),
        'ipAddress is immutable',
      ),
    ),
  },
  {
    description:
      'One network interface: an existing NetworkInterface (networkInterfaceRef), or a new one in a Subnet (subnetRef, with securityGroupRefs and ipAddress).',
    'x-kubernetes-validations': [
      {
        rule: 'has(self.networkInterfaceRef) != has(self.subnetRef)',
        message: 'an interface takes exactly one of networkInterfaceRef or subnetRef',
      },
      {
        rule: '!has(self.networkInterfaceRef) || (!has(self.securityGroupRefs) && !has(self.ipAddress))',
        message:
          'securityGroupRefs and ipAddress are for a new interface (subnetRef); set them on the NetworkInterface itself',
      },
      {
        rule: 'has(self.networkInterfaceRef) == has(oldSelf.networkInterfaceRef) && has(self.subnetRef) == has(oldSelf.subnetRef) && has(self.ipAddress) == has(oldSelf.ipAddress)',
        message:
          'an interface cannot switch between networkInterfaceRef and subnetRef, nor gain or lose its ipAddress: remove it and add another',
      },
    ],
  },
);

const BootVolume = Type.Object(
  {
    size: Type.Optional(
      Described(
        Volume.schemas.spec.properties.size,
        "Size of the boot volume, a whole number of GiB from 1Gi to 32Ti, such as 20Gi. Omitted: the image's minDiskGiB, else its virtual size rounded up to whole GiB. Raising it grows the volume, also while the instance runs; lowering it is refused.",
      ),
    ),
    volumeTypeRef: Volume.schemas.spec.properties.volumeTypeRef,
  },
  {
    description:
      'The boot volume made for the instance: a copy-on-write clone of the image, a Volume (evs.kcloud.io) owned by the instance.',
    'x-kubernetes-validations': [
      {
        rule: 'has(self.volumeTypeRef) == has(oldSelf.volumeTypeRef)',
        message: 'the boot volume’s volumeTypeRef cannot be added or removed',
      },
    ],
  },
);

export const Instance = defineKind({
  group: 'ecs.kcloud.io',
  version: 'v1alpha1',
  kind: 'Instance',
  plural: 'instances',
  shortNames: ['ecs'],
  scope: 'Namespaced',
  description:
    'Instance is a virtual machine: a size (a Flavor or inline resources), a boot volume cloned from an Image, data volumes, network interfaces in VPC Subnets, and what the guest learns at first boot (hostname, SSH keys, user-data). The manager schedules it onto a Host; the agent there runs it with QEMU. One-shot actions (reboot, rebuild, password reset) are InstanceOperations.',
  spec: Type.Object(
    {
      flavorRef: Type.Optional(
        ClusterRef(
          'Flavor',
          'The Flavor (cluster-scoped) that sizes the instance. Changing it resizes the instance: live where QEMU can, else at the next restart (condition RestartRequired).',
        ),
      ),
      resources: Type.Optional(
        ComputeResources(
          'vCPUs and memory given inline instead of a Flavor. Changing them resizes the instance as a changed flavorRef does.',
        ),
      ),
      imageRef: Immutable(
        ImageRef(
          'The Image (ecs.kcloud.io) the boot volume is cloned from, in this namespace or a public one. It cannot be changed: to boot another image, run an InstanceOperation with action rebuild.',
        ),
        'imageRef is immutable: run an InstanceOperation with action rebuild to boot another image',
      ),
      bootVolume: Type.Optional(BootVolume),
      keepBootVolume: Type.Optional(
        Type.Boolean({
          description:
            'Keep the boot volume when the instance is deleted: it is released (no longer owned) instead of deleted.',
          default: false,
        }),
      ),
      dataVolumes: Type.Optional(
        Type.Array(
          LocalObjectReference(
            'Volume',
            'A Volume (evs.kcloud.io) to attach; a Volume not made for several instances (multiAttach) must not be attached elsewhere.',
          ),
          {
            description:
              'Volumes attached besides the boot volume, in this order (vdb, vdc, ...), up to 15, each named once. Adding or removing one attaches or detaches it live.',
            maxItems: maxDataVolumes,
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['name'],
            'x-kubernetes-validations': [
              {
                rule: 'self.all(v, self.exists_one(w, w.name == v.name))',
                message: 'dataVolumes must name each Volume once',
              },
            ],
          },
        ),
      ),
      networkInterfaces: Type.Optional(
        Type.Array(NetworkInterfaceAttachment, {
          description:
            'Network interfaces, up to 16: exactly one primary. Adding or removing one plugs or unplugs it live.',
          minItems: 1,
          maxItems: maxNetworkInterfaces,
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['name'],
          'x-kubernetes-validations': [
            {
              rule: 'self.filter(n, has(n.primary) && n.primary).size() == 1',
              message: 'exactly one network interface must be primary: true',
            },
            {
              rule: 'self.all(a, !has(a.networkInterfaceRef) || self.filter(b, has(b.networkInterfaceRef) && b.networkInterfaceRef.name == a.networkInterfaceRef.name).size() == 1)',
              message: 'a NetworkInterface can be named by one interface only',
            },
          ],
        }),
      ),
      hostname: Type.Optional(
        Type.String({
          description:
            "The guest's host name, an RFC 1123 label such as web-1. Omitted: the instance's name. Like sshAuthorizedKeys and user-data, the guest reads it from its seed disk at first boot and after a rebuild.",
          maxLength: 63,
          'x-kubernetes-validations': [
            {
              rule: `self.matches('${dnsLabel}')`,
              message:
                'hostname must be an RFC 1123 label: lower-case letters, digits and -, starting and ending with a letter or digit, such as web-1',
            },
          ],
        }),
      ),
      sshAuthorizedKeys: Type.Optional(
        Type.Array(
          Type.String({
            description: 'An OpenSSH public key line, such as ssh-ed25519 AAAA... user@host.',
            maxLength: 16384,
            'x-kubernetes-validations': [
              {
                rule: "self.matches('^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh[.]com) [A-Za-z0-9+/]+=*( [^\\\\n]*)?$')",
                message:
                  'an SSH key is one OpenSSH public key line: its type (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...), the base64 key, an optional comment',
              },
            ],
          }),
          {
            description:
              'SSH public keys the guest authorizes for its default user, read at first boot and after a rebuild.',
            maxItems: 32,
          },
        ),
      ),
      userData: Type.Optional(
        Type.String({
          description:
            'User-data for the guest (cloud-init: #cloud-config YAML, or a script starting with #!), up to 32768 characters; read at first boot and after a rebuild. For secrets or more, use userDataSecretRef.',
          maxLength: maxUserDataBytes,
        }),
      ),
      userDataSecretRef: Type.Optional(
        Type.Object(
          {
            name: Type.String({
              description: 'Name of the Secret, in the same namespace.',
              minLength: 1,
              maxLength: 253,
            }),
            key: Type.Optional(
              Type.String({
                description: 'The data key holding the user-data.',
                default: 'userData',
                minLength: 1,
                maxLength: 253,
                pattern: '^[-._a-zA-Z0-9]+$',
              }),
            ),
          },
          {
            description:
              'A Secret holding the user-data (up to 64 KiB), for user-data that carries secrets. Instead of userData.',
            'x-kubernetes-map-type': 'atomic',
          },
        ),
      ),
      runStrategy: Type.Optional(
        StringEnum(['Always', 'RerunOnFailure', 'Manual', 'Halted'], {
          description:
            'What kcloud does when the VM stops on its own: Always starts it again (also after a shutdown from inside), RerunOnFailure only after a crash or a lost host, Manual never (power it with powerState), Halted keeps it stopped.',
          default: 'Always',
        }),
      ),
      powerState: Type.Optional(
        StringEnum(['Running', 'Stopped', 'Paused'], {
          description:
            'Whether the VM should run, be shut down (ACPI, then forced after a timeout) or be paused (vCPUs frozen, memory kept). Omitted: Running, or Stopped when runStrategy is Halted.',
        }),
      ),
      placement: Type.Optional(InstancePlacement),
      priority: Type.Optional(
        Type.Integer({
          description:
            'Instances with a higher priority are scheduled first when they wait for capacity. Nothing running is preempted.',
          minimum: 0,
          maximum: 1000000,
          default: 0,
        }),
      ),
    },
    { description: 'InstanceSpec is the desired state of a virtual machine.' },
  ),
  specValidations: [
    {
      rule: 'has(self.flavorRef) != has(self.resources)',
      message: 'give exactly one of flavorRef or resources',
    },
    {
      rule: '!(has(self.userData) && has(self.userDataSecretRef))',
      message: 'give user-data inline (userData) or from a Secret (userDataSecretRef), not both',
    },
    {
      rule: "!has(self.runStrategy) || self.runStrategy != 'Halted' || !has(self.powerState) || self.powerState == 'Stopped'",
      message:
        'runStrategy Halted keeps the instance stopped: leave powerState out or set it to Stopped',
    },
    {
      rule: 'has(self.bootVolume) == has(oldSelf.bootVolume)',
      message: 'bootVolume cannot be added or removed after creation',
    },
  ],
  status: Type.Object(
    {
      phase: Type.Optional(Phase(instancePhases)),
      observedGeneration: Type.Optional(ObservedGeneration()),
      conditions: Type.Optional(
        Conditions(
          'Conditions, one per type, each written by its owner: Scheduled and NetworkFenced (its interfaces’ ports bound only by its host’s OVN chassis) by the manager; Provisioned, GuestAgentConnected and RestartRequired by the agent on the host; Ready (the VM runs as the spec says) by the manager from Scheduled and Provisioned.',
        ),
      ),
      host: Type.Optional(Type.String({ description: 'The Host the instance is scheduled on.' })),
      allocated: Type.Optional(
        Type.Object(
          {
            vcpu: Type.Integer({ description: 'Virtual CPUs.', minimum: 0, maximum: 1048576 }),
            memoryBytes: Int64({ description: 'Memory, in bytes.', minimum: 0 }),
          },
          {
            description:
              'What the instance holds on its host (from its Flavor or resources), set when it was scheduled and by a resize that fits its host: the host’s accounting counts this, and the VM starts with it.',
          },
        ),
      ),
      limits: Type.Optional(
        Type.Object(
          {
            cpuQuotaPercent: Type.Optional(
              Type.Integer({
                description:
                  "The share of each vCPU's time the guest may use, in percent, from its Flavor; enforced by the host's cgroups.",
                minimum: 1,
                maximum: 100,
              }),
            ),
          },
          {
            description:
              'Limits the instance runs under, from its Flavor (written by the manager).',
          },
        ),
      ),
      bootVolume: Type.Optional(
        Type.String({ description: 'The Volume made as the boot volume.' }),
      ),
      interfaces: Type.Optional(
        Type.Array(
          Type.Object(
            {
              name: Type.String({ description: 'The interface, as named in the spec.' }),
              networkInterface: Type.Optional(
                Type.String({ description: 'The NetworkInterface (vpc.kcloud.io) it is.' }),
              ),
              ipAddresses: Type.Optional(
                Type.Array(Type.String({ description: 'An address.' }), {
                  description: 'Its addresses.',
                  maxItems: 64,
                }),
              ),
              macAddress: Type.Optional(Type.String({ description: 'Its MAC address.' })),
            },
            { description: 'One network interface as it is.' },
          ),
          {
            description: 'The network interfaces as they are, the primary first.',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['name'],
          },
        ),
      ),
      console: Type.Optional(
        Type.Object(
          {
            vncEndpoint: Type.Optional(
              Type.String({
                description:
                  'Where the VNC console listens on its host, as address:port (loopback: reach it through the host).',
              }),
            ),
          },
          { description: 'How to reach the graphical console (the host agent writes it).' },
        ),
      ),
      vncPasswordSecretRef: Type.Optional(
        LocalObjectReference(
          'Secret',
          'The Secret (in this namespace, made with the instance and deleted with it) holding the VNC password under the key password: up to 8 printable ASCII characters. A changed password is applied to the running VM.',
        ),
      ),
      bootTime: Type.Optional(
        Type.String({ description: 'When the VM last started.', format: 'date-time' }),
      ),
      lastEvacuation: Type.Optional(
        Type.Object(
          {
            fromHost: Type.String({ description: 'The host that was lost.' }),
            hostLostAt: Type.String({
              description: 'When its heartbeat was due and did not come.',
              format: 'date-time',
            }),
            time: Type.String({
              description: 'When the instance was moved off it (the host fenced first).',
              format: 'date-time',
            }),
          },
          {
            description:
              'The last time the instance was moved off a lost host (written by the manager; events say the same).',
          },
        ),
      ),
    },
    { description: 'InstanceStatus is what the manager and the host agent observed.' },
  ),
  printerColumns: [
    {
      name: 'Flavor',
      type: 'string',
      jsonPath: '.spec.flavorRef.name',
      description: 'The Flavor.',
    },
    {
      name: 'Host',
      type: 'string',
      jsonPath: '.status.host',
      description: 'The Host it runs on.',
    },
    {
      name: 'IP',
      type: 'string',
      jsonPath: '.status.interfaces[0].ipAddresses[0]',
      description: 'The first address of the primary interface.',
    },
    {
      name: 'Power',
      type: 'string',
      jsonPath: '.spec.powerState',
      description: 'The power state asked for.',
      priority: 1,
    },
    {
      name: 'Image',
      type: 'string',
      jsonPath: '.spec.imageRef.name',
      description: 'The Image it boots.',
      priority: 1,
    },
    phaseColumn(),
    readyColumn(),
  ],
  source: import.meta.url,
});

export type InstanceSpec = SpecOf<typeof Instance>;
export type InstanceStatus = StatusOf<typeof Instance>;
export type InstanceObject = ObjectOf<typeof Instance>;
