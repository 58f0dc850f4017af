// The events recorder against the real API server: what it writes passes events.k8s.io/v1
// validation, series updates go through as merge patches, and kubectl shows the result.
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import winston from 'winston';
import { ApiClient } from '../../../controllers/kube/index.ts';
import {
  EventRecorder,
  KubeEventsClient,
  type EventObject,
} from '../../../controllers/events/index.ts';
import { useTestCluster } from '../../harness/index.ts';

const cluster = useTestCluster('events');

let configMap: EventObject;
let recorder: EventRecorder;
const logged: { level: string; message: string }[] = [];
const api = new ApiClient(cluster.kc);

beforeAll(async () => {
  const created: V1ConfigMap = await cluster.core.createNamespacedConfigMap({
    namespace: cluster.namespace,
    body: { metadata: { name: 'settings' }, data: { mtu: '1450' } },
  });
  configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'settings',
      namespace: cluster.namespace,
      uid: created.metadata?.uid,
      resourceVersion: created.metadata?.resourceVersion,
    },
  };
  const log = winston.createLogger({
    level: 'debug',
    transports: [
      new winston.transports.Stream({
        stream: new Writable({
          objectMode: true,
          write(entry: { level: string; message: string }, _encoding, done) {
            logged.push(entry);
            done();
          },
        }),
      }),
    ],
  });
  recorder = new EventRecorder({
    client: new KubeEventsClient(api),
    reportingController: 'kcloud.io/vpc-controller',
    reportingInstance: 'events-test',
    log,
    registry: new Registry(),
  });
});

afterAll(async () => {
  await api.close();
});

afterEach(() => {
  expect(logged.filter((e) => e.level !== 'debug')).toEqual([]);
});

async function eventsWithReason(reason: string) {
  const events = await cluster.eventsFor('settings', 'ConfigMap');
  return events.filter((e) => e.reason === reason);
}

describe('EventRecorder on the real API server', () => {
  it('records an event that reads back with every field', async () => {
    recorder.event(configMap, 'Normal', 'Synced', 'Sync', 'Created OVN switch for settings');
    await recorder.flush();

    const [event, ...more] = await eventsWithReason('Synced');
    expect(more).toEqual([]);
    expect(event?.metadata?.name).toMatch(/^settings\.[0-9a-f]{16}$/);
    expect(event).toMatchObject({
      type: 'Normal',
      action: 'Sync',
      note: 'Created OVN switch for settings',
      reportingController: 'kcloud.io/vpc-controller',
      reportingInstance: 'events-test',
      regarding: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'settings',
        namespace: cluster.namespace,
        uid: configMap.metadata.uid,
      },
    });
    expect(event?.series).toBeUndefined();
    expect(String(event?.eventTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('turns 50 repeats into one Event with series.count 50', async () => {
    for (let i = 0; i < 50; i++) {
      recorder.event(configMap, 'Warning', 'SubnetNotFound', 'Reconcile', 'subnet web not found');
    }
    await recorder.flush();

    const events = await eventsWithReason('SubnetNotFound');
    expect(events).toHaveLength(1);
    expect(events[0]?.series?.count).toBe(50);
  });

  it('updates the series of an Event it already created', async () => {
    recorder.event(configMap, 'Warning', 'RouteConflict', 'Reconcile', 'route 10.0.0.0/24 taken');
    await recorder.flush();
    const [created] = await eventsWithReason('RouteConflict');
    expect(created?.series).toBeUndefined();

    for (let i = 1; i < 50; i++) {
      recorder.event(configMap, 'Warning', 'RouteConflict', 'Reconcile', 'route 10.0.0.0/24 taken');
    }
    await recorder.flush();

    const events = await eventsWithReason('RouteConflict');
    expect(events).toHaveLength(1);
    expect(events[0]?.metadata?.name).toBe(created?.metadata?.name);
    expect(events[0]?.series?.count).toBe(50);
    expect(String(events[0]?.series?.lastObservedTime)).toMatch(/\.\d{6}Z$/);
  });

  it('sends a note cut to the 1 KiB the API server accepts', async () => {
    recorder.event(configMap, 'Normal', 'LongNote', 'Inspect', 'ü'.repeat(3000));
    await recorder.flush();
    const [event] = await eventsWithReason('LongNote');
    expect(Buffer.byteLength(event?.note ?? '')).toBe(1024);
    expect(event?.note).toBe(`${'ü'.repeat(510)} ...`);
  });

  it('puts events about cluster-scoped objects in the default namespace', async () => {
    const ns = await cluster.core.readNamespace({ name: cluster.namespace });
    const regarding: EventObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: cluster.namespace, uid: ns.metadata?.uid },
    };
    recorder.event(regarding, 'Normal', 'Labelled', 'Label', 'namespace labelled');
    await recorder.flush();

    const list = await cluster.events.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: `regarding.name=${cluster.namespace},regarding.kind=Namespace`,
    });
    expect(list.items.map((e) => [e.reason, e.regarding?.uid])).toEqual([
      ['Labelled', ns.metadata?.uid],
    ]);
    for (const e of list.items) {
      await cluster.events.deleteNamespacedEvent({
        namespace: 'default',
        name: e.metadata?.name ?? '',
      });
    }
  });

  it('shows in the Events section of kubectl describe', async () => {
    const out = await cluster.kubectl([
      'describe',
      'configmap',
      'settings',
      '-n',
      cluster.namespace,
    ]);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const events = out.stdout.slice(out.stdout.indexOf('\nEvents:'));
    expect(events).toMatch(/^\nEvents:\n\s+Type\s+Reason\s+Age\s+From\s+Message/);
    expect(events).toMatch(
      /Warning\s+SubnetNotFound\s+.*kcloud\.io\/vpc-controller.*\s+subnet web not found/,
    );
    expect(events).toMatch(/Normal\s+Synced\s+.*\s+Created OVN switch for settings/);
  });
});
