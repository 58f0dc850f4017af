// The objects a volume or image is made from, read live from the API server when the data is
// made: a source is bound to whatever host holds it, so this host's caches may not have it.
import { ReconcileError } from '../../../controllers/external/index.ts';
import type { KubeObject } from '../../../controllers/kube/index.ts';

/** Live reads of the objects a source names; undefined when there is none. */
export interface SourceReader {
  image(namespace: string, name: string, signal: AbortSignal): Promise<KubeObject | undefined>;
  snapshot(
    namespace: string,
    name: string,
    signal: AbortSignal,
  ): Promise<(KubeObject & { status?: { volumeUID?: string } }) | undefined>;
  volume(
    namespace: string,
    name: string,
    signal: AbortSignal,
  ): Promise<(KubeObject & { status?: { attachments?: unknown[] } }) | undefined>;
}

export function sourceMissing(kind: string, namespace: string, name: string): ReconcileError {
  return new ReconcileError(`${kind}NotFound`, `${kind} ${namespace}/${name} does not exist`);
}
