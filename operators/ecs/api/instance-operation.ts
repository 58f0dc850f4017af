// InstanceOperation: a one-shot action on an Instance (reboot, force-reboot, force-stop,
// rebuild, reset-password) as its own object, so that it is auditable, idempotent and can live
// in Git where other clouds use imperative calls.
import Type from 'typebox';
import {
  Immutable,
  LocalObjectReference,
  Phase,
  StandardStatus,
  StringEnum,
  defineKind,
  phaseColumn,
  readyColumn,
  type ObjectOf,
  type SpecOf,
  type StatusOf,
} from '../../../controllers/api/index.ts';
import { ImageRef } from './compute-schema.ts';

export const instanceOperationPhases = ['Pending', 'Running', 'Succeeded', 'Failed'] as const;

/**
 * The host agent's condition on an InstanceOperation: True once the action ran to its end,
 * False while it runs or when it failed. The manager's `Scheduled` and this sum up to Ready.
 */
export const executedCondition = 'Executed';

/**
 * The reasons by which the agent says an action failed for good (with `completionTime` set):
 * the operation is Failed and never runs again. Any other False `Executed` is work under way.
 */
export const operationFailureReasons = [
  // QEMU or the guest agent refused or broke off the action: the message says what it said.
  'ActionFailed',
  // The VM is off, so there is nothing to reboot or to set a password in.
  'InstanceNotRunning',
  // reset-password: the guest agent did not answer in time (no qemu-guest-agent in the guest?).
  'GuestAgentNotConnected',
  // The VM is not on the agent's host (moved or evacuated since the operation was bound).
  'InstanceNotOnHost',
] as const;

/**
 * reset-password: the tenant's password Secret is read by the manager, not by agents (they may
 * read Secrets in the hosts namespace only). The manager copies the password there, into the
 * Secret of this name (labelled with the operation's host), before it binds the operation, and
 * deletes it once the operation has ended or is deleted.
 */
export const resetPasswordSecretName = (operationUid: string) => `ecsop-${operationUid}`;
/** The data key of that copy. */
export const resetPasswordSecretKey = 'password';
export const instanceActions = [
  'reboot',
  'force-reboot',
  'force-stop',
  'rebuild',
  'reset-password',
] as const;

export const InstanceOperation = defineKind({
  group: 'ecs.kcloud.io',
  version: 'v1alpha1',
  kind: 'InstanceOperation',
  plural: 'instanceoperations',
  shortNames: ['ecsop'],
  scope: 'Namespaced',
  description:
    'InstanceOperation runs one action on an Instance once: reboot, force-reboot, force-stop, rebuild (a new boot volume from an image) or reset-password (through the guest agent). It records when it ran and how it ended; applying it again does nothing. Delete it when no longer needed.',
  spec: Immutable(
    Type.Object(
      {
        instanceRef: LocalObjectReference('Instance', 'The Instance to act on.'),
        action: StringEnum(instanceActions, {
          description:
            'reboot: ACPI reboot through the guest. force-reboot: reset the VM at once. force-stop: power it off at once (powerState is not changed, so runStrategy Always starts it again). rebuild: replace the boot volume with a fresh clone of an image and boot it; data volumes are kept. reset-password: set a user’s password through the guest agent.',
        }),
        rebuild: Type.Optional(
          Type.Object(
            {
              imageRef: Type.Optional(
                ImageRef(
                  'The Image to rebuild from, in the namespace or a public one. Omitted: the image the instance booted last.',
                ),
              ),
            },
            { description: 'For action rebuild: what to rebuild from.' },
          ),
        ),
        resetPassword: Type.Optional(
          Type.Object(
            {
              username: Type.String({
                description: 'The user in the guest whose password is set, such as root.',
                minLength: 1,
                maxLength: 32,
                pattern: '^[a-z_][a-z0-9_-]*[$]?$',
              }),
              passwordSecretRef: Type.Object(
                {
                  name: Type.String({
                    description: 'Name of the Secret, in the same namespace.',
                    minLength: 1,
                    maxLength: 253,
                    // A Secret's name (a DNS subdomain): anything else could never be found.
                    pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
                  }),
                  key: Type.Optional(
                    Type.String({
                      description: 'The data key holding the password.',
                      default: 'password',
                      minLength: 1,
                      maxLength: 253,
                      pattern: '^[-._a-zA-Z0-9]+$',
                    }),
                  ),
                },
                {
                  description:
                    'The Secret holding the new password: it never appears in the operation, its status or events.',
                  'x-kubernetes-map-type': 'atomic',
                },
              ),
            },
            {
              description:
                'For action reset-password: the user and the Secret with the new password. The guest agent must be connected (condition GuestAgentConnected on the Instance).',
            },
          ),
        ),
      },
      {
        description:
          'InstanceOperationSpec is the action; it cannot be changed (create a new operation instead).',
        'x-kubernetes-validations': [
          {
            rule: "self.action == 'rebuild' || !has(self.rebuild)",
            message: 'rebuild is for action rebuild only',
          },
          {
            rule: "(self.action == 'reset-password') == has(self.resetPassword)",
            message:
              'action reset-password needs resetPassword (username and passwordSecretRef), and other actions take none',
          },
        ],
      },
    ),
    'an operation cannot be changed: create a new InstanceOperation',
  ),
  status: Type.Object(
    {
      ...StandardStatus(),
      phase: Type.Optional(
        Phase(
          instanceOperationPhases,
          'Where the action is: Pending, Running, or how it ended: Succeeded or Failed (the Ready condition says why).',
        ),
      ),
      instanceUID: Type.Optional(
        Type.String({
          description:
            'The uid of the Instance acted on, recorded when the operation is bound to its host, so that a later Instance of the same name is never acted on by this operation.',
          maxLength: 64,
        }),
      ),
      startTime: Type.Optional(
        Type.String({
          description: 'When the action started (written by the agent of the host).',
          format: 'date-time',
        }),
      ),
      completionTime: Type.Optional(
        Type.String({
          description:
            'When the action ended, in success or failure (written by the agent of the host): an operation with a completionTime never runs again.',
          format: 'date-time',
        }),
      ),
      rebuild: Type.Optional(
        Type.Object(
          {
            volumeOperation: Type.String({
              description:
                'The VolumeOperation (evs.kcloud.io, owned by this operation) that re-makes the boot volume.',
              maxLength: 253,
            }),
            volume: Type.String({ description: 'The boot Volume re-made.', maxLength: 253 }),
            image: Type.Object(
              {
                name: Type.String({ description: 'Name of the Image.', maxLength: 253 }),
                namespace: Type.String({ description: 'Its namespace.', maxLength: 63 }),
              },
              { description: 'The Image the boot volume is re-made from.' },
            ),
            phase: Type.Optional(
              Type.String({
                description: 'The VolumeOperation’s phase: Pending, Running, Succeeded or Failed.',
                maxLength: 32,
              }),
            ),
            reason: Type.Optional(
              Type.String({
                description: 'Why it waits or failed (its Ready condition’s reason).',
                maxLength: 128,
              }),
            ),
            message: Type.Optional(
              Type.String({ description: 'What its Ready condition says.', maxLength: 32768 }),
            ),
          },
          {
            description:
              'For action rebuild, written by the manager once the agent has stopped the VM: how re-making the boot volume goes. The agent ends the operation when it has ended, and the VM starts again (as its powerState says) from the new disk.',
          },
        ),
      ),
    },
    { description: 'InstanceOperationStatus says whether and how the action ran.' },
  ),
  printerColumns: [
    {
      name: 'Instance',
      type: 'string',
      jsonPath: '.spec.instanceRef.name',
      description: 'The Instance acted on.',
    },
    { name: 'Action', type: 'string', jsonPath: '.spec.action', description: 'The action.' },
    phaseColumn(),
    readyColumn(),
    {
      name: 'Completed',
      type: 'date',
      jsonPath: '.status.completionTime',
      description: 'When it ended.',
      priority: 1,
    },
  ],
  source: import.meta.url,
});

export type InstanceOperationSpec = SpecOf<typeof InstanceOperation>;
export type InstanceOperationStatus = StatusOf<typeof InstanceOperation>;
export type InstanceOperationObject = ObjectOf<typeof InstanceOperation>;
export type RebuildProgress = NonNullable<InstanceOperationStatus['rebuild']>;

/**
 * A rebuild of this very instance (the uid the manager recorded at binding) that has not
 * ended: its VM is kept off meanwhile.
 */
export function pendingRebuildOf(
  op: InstanceOperationObject,
  instance: { metadata: { name?: string; uid?: string } },
): boolean {
  return (
    op.spec.action === 'rebuild' &&
    op.spec.instanceRef.name === instance.metadata.name &&
    op.status?.instanceUID === instance.metadata.uid &&
    !operationEnded(op)
  );
}

/**
 * The reason the agent gives, on the Instance (Provisioned) and on the operation (Executed),
 * while a rebuild keeps the VM off and its boot volume is re-made.
 */
export const rebuildingReason = 'Rebuilding';

/** The operation has ended, in success or failure: it is never run (or placed) again. */
export function operationEnded(op: InstanceOperationObject): boolean {
  const s = op.status;
  return s?.completionTime !== undefined || s?.phase === 'Succeeded' || s?.phase === 'Failed';
}
