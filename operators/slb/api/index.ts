export {
  LoadBalancer,
  type LoadBalancerObject,
  type LoadBalancerSpec,
  type LoadBalancerStatus,
} from './load-balancer.ts';

import { LoadBalancer } from './load-balancer.ts';

/** Every kind of the SLB product, for the CRD generator and RBAC. */
export const slbKinds = [LoadBalancer] as const;
