import type { ApiTransport } from '../kube/api-client.ts';
import { ObjectClient } from '../kube/object-client.ts';
import type { KubeObject } from '../kube/object.ts';
import type { ResourceRef } from '../kube/resource.ts';

/** core/v1 ObjectReference, as an Event's `regarding` and `related`. */
export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface EventSeries {
  count: number;
  /** MicroTime (controllers/kube/time.ts). */
  lastObservedTime: string;
}

/** events.k8s.io/v1 Event: the fields the recorder writes. */
export interface KubeEvent extends KubeObject {
  /** MicroTime (controllers/kube/time.ts). */
  eventTime: string;
  regarding?: ObjectReference;
  related?: ObjectReference;
  type?: string;
  reason?: string;
  action?: string;
  note?: string;
  reportingController?: string;
  reportingInstance?: string;
  series?: EventSeries;
}

export const eventResource: ResourceRef = {
  group: 'events.k8s.io',
  version: 'v1',
  plural: 'events',
  namespaced: true,
  kind: 'Event',
};

/** The two writes the recorder makes; a fake stands in for it in unit tests. */
export interface EventsClient {
  create(namespace: string, event: KubeEvent): Promise<KubeEvent>;
  /** Replaces the Event's `series` and nothing else. */
  patch(namespace: string, name: string, series: EventSeries): Promise<KubeEvent>;
}

/**
 * EventsClient on events.k8s.io/v1, through the runtime's one HTTP client (so its requests are
 * counted in rest_client_requests_total like every other).
 */
export class KubeEventsClient implements EventsClient {
  private readonly events: ObjectClient<KubeEvent>;

  constructor(api: ApiTransport) {
    this.events = new ObjectClient<KubeEvent>(api, eventResource);
  }

  create(namespace: string, event: KubeEvent): Promise<KubeEvent> {
    return this.events.create({ ...event, metadata: { ...event.metadata, namespace } });
  }

  patch(namespace: string, name: string, series: EventSeries): Promise<KubeEvent> {
    // A merge patch says "set series to this" whether or not series exists yet.
    return this.events.patch(namespace, name, 'merge', { series });
  }
}
