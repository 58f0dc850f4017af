// What a filtering rule matches: shared by SecurityGroup (stateful) and NetworkACL (stateless).
import Type from 'typebox';
import { StringEnum, type ValidationRule } from '../../../controllers/api/index.ts';

export const Protocol = () =>
  StringEnum(['TCP', 'UDP', 'ICMP', 'All'] as const, {
    description: 'The IP protocol the rule matches; All matches every protocol.',
  });

export const Direction = () =>
  StringEnum(['Ingress', 'Egress'] as const, {
    description: 'Ingress matches traffic to the interfaces, Egress traffic from them.',
  });

export const Action = (description: string) =>
  StringEnum(['Allow', 'Deny'] as const, { description, default: 'Allow' });

export function Ports() {
  return Type.Object(
    {
      from: Type.Integer({ description: 'First port of the range.', minimum: 1, maximum: 65535 }),
      to: Type.Integer({
        description: 'Last port of the range, inclusive.',
        minimum: 1,
        maximum: 65535,
      }),
    },
    {
      description: 'A TCP or UDP destination port range; left out, every port.',
      'x-kubernetes-validations': [
        { rule: 'self.to >= self.from', message: 'ports.to must not be below ports.from' },
      ],
    },
  );
}

/** Rules every protocol-and-ports rule obeys. */
export const protocolRules: ValidationRule[] = [
  {
    rule: "!has(self.ports) || self.protocol == 'TCP' || self.protocol == 'UDP'",
    message: 'ports apply to TCP and UDP only',
  },
];
