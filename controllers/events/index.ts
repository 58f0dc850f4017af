// Kubernetes Events (events.k8s.io/v1) about the objects controllers reconcile, aggregated
// into series and rate-limited per object. Notes are readable by anyone who may read the
// namespace: never put secrets in them.
export {
  EventRecorder,
  type EventObject,
  type EventRecorderOptions,
  type EventType,
} from './recorder.ts';
export {
  eventResource,
  KubeEventsClient,
  type EventSeries,
  type EventsClient,
  type KubeEvent,
  type ObjectReference,
} from './events-client.ts';
