// Whether processes a probe started still run. A killed process whose parent is gone is a
// zombie until the machine's init reaps it, which some inits do late: it no longer runs, so
// it counts as gone here.
import { readdirSync, readFileSync } from 'node:fs';

interface Stat {
  state: string;
  pgrp: number;
}

function stat(pid: string): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '', pgrp: Number(rest[2]) };
  } catch {
    return undefined;
  }
}

export function running(pid: number): boolean {
  const s = stat(String(pid));
  return s !== undefined && s.state !== 'Z';
}

/** The PIDs of the processes of a process group that still run. */
export function runningInGroup(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      const s = stat(pid);
      return s !== undefined && s.pgrp === pgid && s.state !== 'Z';
    })
    .map(Number);
}
