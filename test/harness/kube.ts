import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from '@jest/globals';
import {
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
  KubernetesObjectApi,
  type EventsV1Event,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { kubectl, type KubectlResult } from '../../hack/cluster/index.ts';
import { applyYaml } from './apply.ts';
import { testKubeconfigPath } from './env.ts';
import { waitFor } from './wait.ts';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

type WithStatus = KubernetesObject & {
  status?: { conditions?: Condition[] } & Record<string, unknown>;
};

/** Clients for the test cluster and the namespace one test file owns. */
export class TestCluster {
  readonly kubeconfigPath: string;
  readonly kc = new KubeConfig();
  readonly objects: KubernetesObjectApi;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  readonly events: EventsV1Api;
  private ns: string | undefined;
  readonly prefix: string;

  /** `kubeconfigPath` defaults to the cluster global setup started. */
  constructor(prefix: string, kubeconfigPath?: string) {
    this.prefix = prefix;
    this.kubeconfigPath = kubeconfigPath ?? testKubeconfigPath();
    this.kc.loadFromFile(this.kubeconfigPath);
    this.objects = KubernetesObjectApi.makeApiClient(this.kc);
    this.core = this.kc.makeApiClient(CoreV1Api);
    this.custom = this.kc.makeApiClient(CustomObjectsApi);
    this.events = this.kc.makeApiClient(EventsV1Api);
  }

  /** The test file's own namespace; created in beforeAll, deleted in afterAll. */
  get namespace(): string {
    if (!this.ns) throw new Error('the test namespace exists only inside tests (after beforeAll)');
    return this.ns;
  }

  async createNamespace(): Promise<string> {
    const name = `${this.prefix}-${randomBytes(3).toString('hex')}`;
    await this.core.createNamespace({
      body: { metadata: { name, labels: { 'kcloud.io/test': 'true' } } },
    });
    this.ns = name;
    return name;
  }

  async deleteNamespace(): Promise<void> {
    if (!this.ns) return;
    await this.core.deleteNamespace({ name: this.ns });
    this.ns = undefined;
  }

  /** Applies YAML with server-side apply; objects without a namespace go into the test's. */
  apply(yamlText: string): Promise<KubernetesObject[]> {
    return applyYaml(this.objects, yamlText, this.namespace);
  }

  async read(ref: ObjectRef): Promise<WithStatus> {
    return this.objects.read<WithStatus>({
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: { name: ref.name, namespace: ref.namespace ?? this.namespace },
    });
  }

  /**
   * Waits until the object's condition `type` has `status`. On timeout the error shows the
   * object's last status, so a failing test says what the controller reported.
   */
  async waitForCondition(
    ref: ObjectRef,
    type: string,
    status: 'True' | 'False' | 'Unknown' = 'True',
    timeoutMs = 60_000,
    /** Also this reason: an object may pass through others on its way (a dependency not ready). */
    reason?: string,
  ): Promise<WithStatus> {
    let last: WithStatus | undefined;
    return waitFor(
      async () => {
        last = await this.read(ref);
        return last.status?.conditions?.some(
          (c) =>
            c.type === type && c.status === status && (reason === undefined || c.reason === reason),
        )
          ? last
          : undefined;
      },
      {
        timeoutMs,
        what: `${ref.kind} ${ref.namespace ?? this.namespace}/${ref.name} condition ${type}=${status}${reason ? ` (${reason})` : ''}`,
        describe: () =>
          last
            ? stringify({ generation: last.metadata?.generation, status: last.status ?? null })
            : '(never read)',
      },
    );
  }

  /** Waits until reading the object answers 404. */
  async waitForGone(ref: ObjectRef, timeoutMs = 60_000): Promise<void> {
    await waitFor(
      async () => {
        try {
          await this.read(ref);
          return false;
        } catch (err) {
          if (statusCode(err) === 404) return true;
          throw err;
        }
      },
      {
        timeoutMs,
        what: `${ref.kind} ${ref.namespace ?? this.namespace}/${ref.name} to be deleted`,
      },
    );
  }

  /** Events (events.k8s.io/v1) about one object in the test namespace. */
  async eventsFor(name: string, kind?: string): Promise<EventsV1Event[]> {
    const selector = [`regarding.name=${name}`, ...(kind ? [`regarding.kind=${kind}`] : [])];
    const list = await this.events.listNamespacedEvent({
      namespace: this.namespace,
      fieldSelector: selector.join(','),
    });
    return list.items;
  }

  /** Runs the kubectl built by `make setup` (never one from the machine) against this cluster. */
  kubectl(args: string[], input?: string): Promise<KubectlResult> {
    return kubectl(this.kubeconfigPath, args, input);
  }
}

/**
 * Gives a test file its own namespace for the duration of the file:
 *   const cluster = useTestCluster('smoke');
 */
export function useTestCluster(prefix: string): TestCluster {
  const cluster = new TestCluster(prefix);
  beforeAll(async () => {
    await cluster.createNamespace();
  });
  afterAll(async () => {
    await cluster.deleteNamespace();
  });
  return cluster;
}

/** The HTTP status of a failed API call (client-node's ApiException), or undefined. */
export function statusCode(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = err.code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

/** The API server's own message of a failed call (the Status object's `message`). */
export function statusMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'body' in err) {
    const body = err.body;
    const parsed: unknown = typeof body === 'string' ? safeJson(body) : body;
    if (typeof parsed === 'object' && parsed !== null && 'message' in parsed) {
      return String(parsed.message);
    }
  }
  return err instanceof Error ? err.message : String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Awaits a call that the API server must refuse and returns its status code and own message;
 * fails the test if the call succeeded.
 */
export async function rejection(
  call: Promise<unknown>,
): Promise<{ code: number | undefined; message: string }> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err === undefined)
    throw new Error('the API server accepted an object it should have rejected');
  return { code: statusCode(err), message: statusMessage(err) };
}
