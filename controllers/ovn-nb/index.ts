// Writers of OVN northbound tables that more than one product programs.
export {
  deleteLoadBalancersOf,
  ensureLoadBalancers,
  loadBalancerOperations,
  loadBalancersMatch,
  loadBalancersOf,
  type DesiredHealthCheck,
  type DesiredLoadBalancer,
  type LoadBalancerOwner,
} from './load-balancer.ts';
