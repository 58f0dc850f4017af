/**
 * kubectl's arguments for ovn-nbctl in an OVN central member of the chart, on the member's own
 * unix socket (docs/install.md's way in by hand): a follower answers reads (`--no-leader-only`),
 * a write goes to the leader either way.
 */
export function memberNbctl(namespace: string, pod: string, args: string[]): string[] {
  return [
    'exec',
    '-n',
    namespace,
    pod,
    '-c',
    'nb',
    '--',
    'ovn-nbctl',
    '--no-leader-only',
    '--db=unix:/var/run/ovn/ovnnb_db.sock',
    ...args,
  ];
}
