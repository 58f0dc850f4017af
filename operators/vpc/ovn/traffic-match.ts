// The protocol-and-ports part of an ACL match, shared by SecurityGroup and NetworkACL rules.

export interface TrafficRule {
  protocol: 'TCP' | 'UDP' | 'ICMP' | 'All';
  ports?: { from: number; to: number };
}

/** ` && tcp.dst == 22`-style suffix for an ACL match; empty for All. */
export function trafficMatch(rule: TrafficRule): string {
  const field = rule.protocol === 'TCP' ? 'tcp' : rule.protocol === 'UDP' ? 'udp' : undefined;
  if (field) {
    if (!rule.ports) return ` && ${field}`;
    const { from, to } = rule.ports;
    return from === to
      ? ` && ${field}.dst == ${String(from)}`
      : ` && ${field}.dst >= ${String(from)} && ${field}.dst <= ${String(to)}`;
  }
  return rule.protocol === 'ICMP' ? ' && icmp4' : '';
}
