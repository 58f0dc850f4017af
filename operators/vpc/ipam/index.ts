// A Subnet's addresses are handed out by the shared address pool (EIP pools use it too).
export * from '../../../controllers/ipam/index.ts';
export { AddressPool as SubnetPool } from '../../../controllers/ipam/index.ts';
