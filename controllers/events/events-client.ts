import {
  PatchStrategy,
  setHeaderOptions,
  type EventsV1Api,
  type EventsV1Event,
  type EventsV1EventSeries,
} from '@kubernetes/client-node';

/** The two writes the recorder makes; a fake stands in for it in unit tests. */
export interface EventsClient {
  create(namespace: string, event: EventsV1Event): Promise<EventsV1Event>;
  /** Replaces the Event's `series` and nothing else. */
  patch(namespace: string, name: string, series: EventsV1EventSeries): Promise<EventsV1Event>;
}

// The generated client sends a PATCH as the first content type the API lists, JSON Patch; a
// merge patch says "set series to this" without caring whether series exists yet.
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** EventsClient on events.k8s.io/v1. */
export class KubeEventsClient implements EventsClient {
  private readonly api: EventsV1Api;

  constructor(api: EventsV1Api) {
    this.api = api;
  }

  create(namespace: string, event: EventsV1Event): Promise<EventsV1Event> {
    return this.api.createNamespacedEvent({ namespace, body: event });
  }

  patch(namespace: string, name: string, series: EventsV1EventSeries): Promise<EventsV1Event> {
    // The body is sent as it is (typed `any`), so lastObservedTime must be a V1MicroTime: its
    // JSON has the six fractional digits the API server's MicroTime parser requires.
    return this.api.patchNamespacedEvent({ namespace, name, body: { series } }, mergePatch);
  }
}
