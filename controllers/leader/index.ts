// Leader election on a coordination.k8s.io Lease: with several manager replicas, only the
// leader runs controllers.
export { LeaderElector, jitterFactor, type LeaderElectorOptions } from './leader-elector.ts';
export {
  coordinationLeaseClient,
  leaseResource,
  type Lease,
  type LeaseClient,
} from './lease-client.ts';
export { createLeaderMetrics, type LeaderMetrics } from './metrics.ts';
