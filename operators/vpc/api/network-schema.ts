// The address and CIDR schema pieces, shared with the other network products.
export {
  AnyIPv4CIDR,
  IPv4Address,
  IPv4CIDR,
  IPv4Range,
  MACAddress,
  ipv4Number,
} from '../../../controllers/api/index.ts';
