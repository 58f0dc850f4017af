// InstanceOperations in kcloud-manager, against the real API server: an operation waits for its
// Instance and for the Instance's host, is bound to that host (the label its agent watches), and
// ends as the agent's Executed says — played here by the test through the status subresource,
// as the agent writes it. An ended operation is never placed again; one whose instance is
// deleted or moves after binding fails for good; a reset-password's password is copied to the
// hosts namespace for the agent and removed when the operation ends.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ObjectClient, type KubeObject } from '../../../controllers/index.ts';
import {
  InstanceOperation,
  resetPasswordSecretName,
  type InstanceOperationObject,
} from '../../../operators/ecs/index.ts';
import { VolumeOperation, type VolumeOperationObject } from '../../../operators/evs/index.ts';
import { rejection, useTestCluster, waitFor } from '../../harness/index.ts';
import {
  conditionOf,
  ecsApi,
  startEcsManager,
  waitUntil,
  type EcsManagerWorld,
} from './ecs-manager-fixture.ts';

const cluster = useTestCluster('ecs-ops');
let world: EcsManagerWorld;
let h1 = '';
let h2 = '';
let operations: ObjectClient<InstanceOperationObject>;
let secrets: ObjectClient<KubeObject & { data?: Record<string, string> }>;

const hostLabel = 'ecs.kcloud.io/host';
const getOp = (name: string) => () => operations.get(cluster.namespace, name);
const operation = (name: string, spec: object) =>
  cluster.apply(
    `apiVersion: ${ecsApi}\nkind: InstanceOperation\nmetadata: {name: ${name}}\nspec: ${JSON.stringify(spec)}\n`,
  );
const reason = (o: InstanceOperationObject, type: string) => conditionOf(o, type)?.reason;

/** The agent's part: Executed for this generation, and the record of start and end. */
async function agentReports(
  name: string,
  status: 'True' | 'False',
  why: string,
  ended = true,
): Promise<void> {
  const op = await getOp(name)();
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  await operations.patch(
    cluster.namespace,
    name,
    'apply',
    {
      apiVersion: ecsApi,
      kind: 'InstanceOperation',
      metadata: { name, namespace: cluster.namespace },
      status: {
        startTime: now,
        ...(ended ? { completionTime: now } : {}),
        conditions: [
          {
            type: 'Executed',
            status,
            reason: why,
            message: 'reported by the test as the agent',
            observedGeneration: op.metadata.generation,
            lastTransitionTime: now,
          },
        ],
      },
    },
    { subresource: 'status', fieldManager: 'kcloud-agent-ecs' },
  );
}

beforeAll(async () => {
  world = await startEcsManager(cluster);
  h1 = `${cluster.namespace}-h1`;
  h2 = `${cluster.namespace}-h2`;
  await world.addHost(h1);
  await world.addHost(h2);
  operations = new ObjectClient(world.api, InstanceOperation.resource);
  secrets = new ObjectClient(world.api, {
    group: '',
    version: 'v1',
    plural: 'secrets',
    namespaced: true,
    kind: 'Secret',
  });
}, 120_000);

afterAll(async () => {
  await world.stop();
});

describe('an InstanceOperation in kcloud-manager', () => {
  it('waits for its instance and its host, then is bound there and ends as the agent says', async () => {
    await operation('reboot-1', { instanceRef: { name: 'vm-1' }, action: 'reboot' });
    const missing = await waitUntil(
      getOp('reboot-1'),
      (o) => reason(o, 'Scheduled') === 'InstanceNotFound',
      'reboot-1 waiting for its Instance',
    );
    expect(missing.status?.phase).toBe('Pending');
    expect(conditionOf(missing, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'InstanceNotFound',
    });
    expect(missing.metadata.labels?.[hostLabel]).toBeUndefined();

    await world.addInstance('vm-1');
    await waitUntil(
      getOp('reboot-1'),
      (o) => reason(o, 'Scheduled') === 'InstanceNotScheduled',
      'reboot-1 waiting for its Instance to be scheduled',
    );
    await world.place('vm-1', h1);
    const bound = await waitUntil(
      getOp('reboot-1'),
      (o) => conditionOf(o, 'Scheduled')?.status === 'True',
      'reboot-1 bound',
    );
    const vm = await world.instances.get(cluster.namespace, 'vm-1');
    expect(bound.metadata.labels?.[hostLabel]).toBe(h1);
    expect(bound.status?.instanceUID).toBe(vm.metadata.uid);
    expect(bound.status?.phase).toBe('Pending');
    expect(conditionOf(bound, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'WaitingForExecuted',
    });
    // Nothing to clean up for a reboot: no finalizer. And the Instance shows nothing of it.
    expect(bound.metadata.finalizers ?? []).toEqual([]);
    expect(vm.status).toBeUndefined();

    await agentReports('reboot-1', 'False', 'Rebooting', false);
    await waitUntil(getOp('reboot-1'), (o) => o.status?.phase === 'Running', 'reboot-1 Running');
    await agentReports('reboot-1', 'True', 'Executed');
    const done = await waitUntil(
      getOp('reboot-1'),
      (o) => o.status?.phase === 'Succeeded',
      'reboot-1 Succeeded',
    );
    expect(conditionOf(done, 'Ready')?.status).toBe('True');

    // Applied again, it does nothing; its instance moving later does not move it either.
    await operation('reboot-1', { instanceRef: { name: 'vm-1' }, action: 'reboot' });
    await world.place('vm-1', h2);
    await new Promise((r) => setTimeout(r, 2_000));
    const after = await getOp('reboot-1')();
    expect(after.metadata.resourceVersion).toBe(done.metadata.resourceVersion);
    expect(after.metadata.labels?.[hostLabel]).toBe(h1);
  });

  it('fails for good when its instance is deleted after it was bound, even if one comes back', async () => {
    await world.addInstance('vm-2', { host: h1 });
    await operation('stop-2', { instanceRef: { name: 'vm-2' }, action: 'force-stop' });
    await waitUntil(
      getOp('stop-2'),
      (o) => o.metadata.labels?.[hostLabel] === h1,
      'stop-2 bound to the host of vm-2',
    );
    await cluster.kubectl(['delete', '-n', cluster.namespace, 'instances.ecs.kcloud.io', 'vm-2']);
    const failed = await waitUntil(
      getOp('stop-2'),
      (o) => o.status?.phase === 'Failed',
      'stop-2 Failed',
    );
    expect(conditionOf(failed, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'InstanceDeleted',
    });
    expect(conditionOf(failed, 'Stalled')?.status).toBe('True');

    // A new Instance of the same name is not the one it was for.
    await world.addInstance('vm-2', { host: h1 });
    await new Promise((r) => setTimeout(r, 2_000));
    const still = await getOp('stop-2')();
    expect(still.status?.phase).toBe('Failed');
    expect(reason(still, 'Scheduled')).toBe('InstanceDeleted');
  });

  it('fails for good when its instance moved to another host after it was bound', async () => {
    await world.addInstance('vm-3', { host: h1 });
    await operation('reboot-3', { instanceRef: { name: 'vm-3' }, action: 'force-reboot' });
    await waitUntil(
      getOp('reboot-3'),
      (o) => o.metadata.labels?.[hostLabel] === h1,
      'reboot-3 bound',
    );
    await world.place('vm-3', h2);
    const moved = await waitUntil(
      getOp('reboot-3'),
      (o) => o.status?.phase === 'Failed',
      'reboot-3 Failed',
    );
    expect(conditionOf(moved, 'Ready')).toMatchObject({ status: 'False', reason: 'InstanceMoved' });
    expect(moved.metadata.labels?.[hostLabel]).toBe(h1);
  });

  it('waits for the image a rebuild names', async () => {
    await world.addInstance('vm-4', { host: h2 });
    await operation('rebuild-4', {
      instanceRef: { name: 'vm-4' },
      action: 'rebuild',
      rebuild: { imageRef: { name: 'debian-13' } },
    });
    const waiting = await waitUntil(
      getOp('rebuild-4'),
      (o) => reason(o, 'Scheduled') === 'ImageNotFound',
      'rebuild-4 waiting for its image',
    );
    expect(waiting.status?.phase).toBe('Pending');
    await cluster.apply(
      `apiVersion: ${ecsApi}\nkind: Image\nmetadata: {name: debian-13}\nspec: ${JSON.stringify({
        source: { url: { url: 'http://images.invalid/debian-13.qcow2', sha256: 'a'.repeat(64) } },
      })}\n`,
    );
    await waitUntil(
      getOp('rebuild-4'),
      (o) => o.metadata.labels?.[hostLabel] === h2,
      'rebuild-4 bound',
    );
  });

  it('re-makes a rebuild’s boot volume through EVS once the agent has stopped the VM', async () => {
    const volumeOperations = new ObjectClient<VolumeOperationObject>(
      world.api,
      VolumeOperation.resource,
    );
    await waitUntil(
      getOp('rebuild-4'),
      (o) => o.status?.instanceUID !== undefined,
      'rebuild-4 bound with its instance uid',
    );
    // Bound, and the VM not stopped yet: nothing is re-made.
    await new Promise((r) => setTimeout(r, 1_000));
    const bound = await getOp('rebuild-4')();
    const name = `rebuild-${bound.metadata.uid ?? ''}`;
    expect(bound.status?.rebuild).toBeUndefined();
    await expect(volumeOperations.get(cluster.namespace, name)).rejects.toMatchObject({
      status: 404,
    });

    // The agent says the VM is off (startTime): the manager asks EVS to re-make the boot volume,
    // with a VolumeOperation the API server accepts as written.
    await agentReports('rebuild-4', 'False', 'Rebuilding', false);
    const asked = await waitUntil(
      getOp('rebuild-4'),
      (o) => o.status?.rebuild !== undefined,
      'rebuild-4 with status.rebuild',
    );
    expect(asked.status?.rebuild).toEqual({
      volumeOperation: name,
      volume: 'vm-4-boot',
      image: { name: 'debian-13', namespace: cluster.namespace },
      phase: 'Pending',
    });
    expect(asked.status?.phase).toBe('Running');
    const volOp = await volumeOperations.get(cluster.namespace, name);
    expect(volOp.spec).toEqual({
      volumeRef: { name: 'vm-4-boot' },
      reimage: { imageRef: { name: 'debian-13' } },
    });
    expect(volOp.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'InstanceOperation', uid: bound.metadata.uid }),
    ]);

    // EVS's progress is copied, then its end.
    const evsSays = async (phase: string, status: 'True' | 'False', why: string) => {
      await volumeOperations.patch(
        cluster.namespace,
        name,
        'merge',
        {
          status: {
            phase,
            conditions: [
              {
                type: 'Ready',
                status,
                reason: why,
                message: `reported by the test as EVS: ${why}`,
                lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
              },
            ],
          },
        },
        { subresource: 'status' },
      );
    };
    await evsSays('Pending', 'False', 'VolumeInUse');
    const waiting = await waitUntil(
      getOp('rebuild-4'),
      (o) => o.status?.rebuild?.reason === 'VolumeInUse',
      'rebuild-4 showing why EVS waits',
    );
    expect(waiting.status?.rebuild?.message).toBe('reported by the test as EVS: VolumeInUse');
    await evsSays('Succeeded', 'True', 'Available');
    await waitUntil(
      getOp('rebuild-4'),
      (o) => o.status?.rebuild?.phase === 'Succeeded' && o.status.rebuild.reason === undefined,
      'rebuild-4 seeing the VolumeOperation Succeeded',
    );
    // The agent ends it; the progress stays on record.
    await agentReports('rebuild-4', 'True', 'Executed');
    const done = await waitUntil(
      getOp('rebuild-4'),
      (o) => o.status?.phase === 'Succeeded',
      'rebuild-4 Succeeded',
    );
    expect(done.status?.rebuild?.phase).toBe('Succeeded');
  });

  it('copies a reset-password’s password to the hosts namespace for the agent, until it ends', async () => {
    await world.addInstance('vm-5', { host: h2 });
    await operation('pw-5', {
      instanceRef: { name: 'vm-5' },
      action: 'reset-password',
      resetPassword: { username: 'root', passwordSecretRef: { name: 'pw-5', key: 'pw' } },
    });
    const waiting = await waitUntil(
      getOp('pw-5'),
      (o) => reason(o, 'Scheduled') === 'PasswordSecretNotFound',
      'pw-5 waiting for its Secret',
    );
    expect(waiting.metadata.labels?.[hostLabel]).toBeUndefined();
    expect(conditionOf(waiting, 'Scheduled')?.message).not.toContain('s3cret');

    await cluster.kubectl([
      'create',
      'secret',
      'generic',
      'pw-5',
      '-n',
      cluster.namespace,
      '--from-literal=pw=s3cret',
    ]);
    const bound = await waitUntil(
      getOp('pw-5'),
      (o) => o.metadata.labels?.[hostLabel] === h2,
      'pw-5 bound once its Secret exists',
    );
    expect(bound.metadata.finalizers).toEqual(['ecs.kcloud.io/cleanup']);
    const copyName = resetPasswordSecretName(bound.metadata.uid ?? '');
    const copy = await secrets.get(world.hostsNs, copyName);
    expect(copy.metadata.labels?.[hostLabel]).toBe(h2);
    expect(Buffer.from(copy.data?.password ?? '', 'base64').toString()).toBe('s3cret');
    expect(JSON.stringify(bound.status)).not.toContain(copy.data?.password ?? '-');

    await agentReports('pw-5', 'True', 'Executed');
    await waitUntil(getOp('pw-5'), (o) => o.status?.phase === 'Succeeded', 'pw-5 Succeeded');
    await waitFor(
      () =>
        secrets.get(world.hostsNs, copyName).then(
          () => undefined,
          () => true,
        ),
      { timeoutMs: 30_000, what: 'the password copy deleted once the operation ended' },
    );
    const r = await cluster.kubectl([
      'delete',
      '-n',
      cluster.namespace,
      'instanceoperations.ecs.kcloud.io',
      'pw-5',
      '--timeout=30s',
    ]);
    expect(r.code).toBe(0);
  });

  it('is refused by the API server when its password Secret cannot be a Secret’s name', async () => {
    const r = await rejection(
      operation('pw-bad', {
        instanceRef: { name: 'vm-5' },
        action: 'reset-password',
        resetPassword: { username: 'root', passwordSecretRef: { name: 'Root_Password' } },
      }),
    );
    expect(r.code).toBe(422);
    expect(r.message).toContain('spec.resetPassword.passwordSecretRef.name');
  });

  it('deletes the password copy with an operation deleted before it ran', async () => {
    await cluster.kubectl([
      'create',
      'secret',
      'generic',
      'pw-6',
      '-n',
      cluster.namespace,
      '--from-literal=password=0ther',
    ]);
    await world.addInstance('vm-6', { host: h1 });
    await operation('pw-6', {
      instanceRef: { name: 'vm-6' },
      action: 'reset-password',
      resetPassword: { username: 'root', passwordSecretRef: { name: 'pw-6' } },
    });
    const bound = await waitUntil(
      getOp('pw-6'),
      (o) => o.metadata.labels?.[hostLabel] === h1,
      'pw-6 bound',
    );
    const copyName = resetPasswordSecretName(bound.metadata.uid ?? '');
    await secrets.get(world.hostsNs, copyName);
    const r = await cluster.kubectl([
      'delete',
      '-n',
      cluster.namespace,
      'instanceoperations.ecs.kcloud.io',
      'pw-6',
      '--timeout=30s',
    ]);
    expect(r.code).toBe(0);
    await expect(secrets.get(world.hostsNs, copyName)).rejects.toMatchObject({ status: 404 });
  });
});
