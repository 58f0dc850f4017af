export { EIP, type EIPObject, type EIPSpec, type EIPStatus } from './eip.ts';
export { EIPPool, type EIPPoolObject, type EIPPoolSpec, type EIPPoolStatus } from './eip-pool.ts';

import { EIP } from './eip.ts';
import { EIPPool } from './eip-pool.ts';

/** Every kind of the EIP product, for the CRD generator and RBAC. */
export const eipKinds = [EIPPool, EIP] as const;
