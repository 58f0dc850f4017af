// OVN's northbound and southbound databases as clustered (Raft) databases of several members on
// loopback, the way production runs OVN central: one ovsdb-server per member, each with its own
// database file, pidfile, control socket, client port and Raft port; ovn-northd given every
// member's remote. Started and stopped by PID. The single-member standalone instance of
// ovn.ts stays the default; this is for what must survive a member (tests, the demo's
// failover).
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { realClock, type Clock } from '../../controllers/clock/index.ts';
import {
  awaitExit,
  hasExited,
  isOurs,
  startDetached,
  stopProcess,
  type RecordedProcess,
} from '../cluster/index.ts';
import { appctl, check, run } from './ctl.ts';
import { ovsEnv } from './env.ts';
import { selectedInstall, type OvnInstall } from './install.ts';
import type { OvnLayout } from './layout.ts';
import { tail } from './ovn.ts';
import { serves } from './ovsdb.ts';
import { freshPortsAvoiding } from './ports.ts';

export type ClusteredDatabase = 'nb' | 'sb';

const databaseNames: Record<ClusteredDatabase, string> = {
  nb: 'OVN_Northbound',
  sb: 'OVN_Southbound',
};

/** One member of a clustered database: its files, its ports and (once started) its process. */
export interface RaftMember {
  /** 1-based; member 1 creates the cluster, the others join it. */
  index: number;
  /** `ovsdb-nb-2`: names its process and log. */
  name: string;
  db: string;
  socket: string;
  ctl: string;
  pidfile: string;
  logFile: string;
  consoleFile: string;
  /** Where clients connect: `tcp:127.0.0.1:<port>`. */
  remote: string;
  /** Where the other members reach it: `tcp:127.0.0.1:<port>`. */
  raftAddress: string;
  process?: RecordedProcess;
}

export interface RaftCluster {
  which: ClusteredDatabase;
  /** `OVN_Northbound` or `OVN_Southbound`. */
  database: string;
  layout: OvnLayout;
  members: RaftMember[];
}

/** Every member's client remote, comma-separated, as ovn-nbctl and our --ovn-nb take them. */
export function remotesOf(cluster: RaftCluster): string {
  return cluster.members.map((m) => m.remote).join(',');
}

/**
 * The files and addresses of an `n`-member cluster of one database in the instance's folders;
 * `ports` holds n client ports, then n Raft ports.
 */
export function raftClusterPlan(
  layout: OvnLayout,
  which: ClusteredDatabase,
  ports: readonly number[],
): RaftCluster {
  const n = ports.length / 2;
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`a clustered database needs a client and a Raft port per member`);
  }
  const base = which === 'nb' ? 'ovnnb_db' : 'ovnsb_db';
  const members = Array.from({ length: n }, (_, i): RaftMember => {
    const index = i + 1;
    const file = `${base}-${String(index)}`;
    const name = `ovsdb-${which}-${String(index)}`;
    return {
      index,
      name,
      db: path.join(layout.dbDir, `${file}.db`),
      socket: path.join(layout.ovnRunDir, `${file}.sock`),
      ctl: path.join(layout.ovnRunDir, `${file}.ctl`),
      pidfile: path.join(layout.ovnRunDir, `${file}.pid`),
      logFile: path.join(layout.logDir, `${name}.log`),
      consoleFile: path.join(layout.logDir, `${name}.console.log`),
      remote: `tcp:127.0.0.1:${String(ports[i])}`,
      raftAddress: `tcp:127.0.0.1:${String(ports[n + i])}`,
    };
  });
  return { which, database: databaseNames[which], layout, members };
}

/** The ovsdb-tool command that makes a member's database file: create-cluster or join-cluster. */
export function raftCreateArgs(cluster: RaftCluster, member: RaftMember, schema: string): string[] {
  const first = cluster.members[0];
  if (!first) throw new Error('a cluster has at least one member');
  return member.index === 1
    ? ['create-cluster', member.db, schema, member.raftAddress]
    : ['join-cluster', member.db, cluster.database, member.raftAddress, first.raftAddress];
}

/** The ovsdb-server arguments of one member (after the program itself). */
export function raftServerArgs(member: RaftMember): string[] {
  const port = member.remote.slice(member.remote.lastIndexOf(':') + 1);
  return [
    member.db,
    `--remote=punix:${member.socket}`,
    `--remote=ptcp:${port}:127.0.0.1`,
    `--pidfile=${member.pidfile}`,
    `--unixctl=${member.ctl}`,
    `--log-file=${member.logFile}`,
    '-vconsole:off',
  ];
}

export interface RaftStatus {
  role: string;
  /** `cluster member`, `joining cluster`, … */
  status: string;
  /** The leader as this member sees it: `self`, a server id, or `unknown`. */
  leader: string;
}

/** Reads `cluster/status`'s Role, Status and Leader lines. */
export function parseClusterStatus(text: string): RaftStatus {
  const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';
  return { role: field('Role'), status: field('Status'), leader: field('Leader') };
}

/** A member's own view of the cluster, or undefined when it does not answer. */
export async function memberStatus(
  cluster: RaftCluster,
  member: RaftMember,
): Promise<RaftStatus | undefined> {
  const r = await appctl(cluster.layout, member.ctl, ['cluster/status', cluster.database], {
    timeoutSeconds: 2,
  });
  return r.code === 0 ? parseClusterStatus(r.stdout) : undefined;
}

/** The running member that says it is the leader. */
export async function raftLeader(cluster: RaftCluster): Promise<RaftMember | undefined> {
  for (const m of cluster.members) {
    if (!m.process || !isOurs(m.process)) continue;
    if ((await memberStatus(cluster, m))?.role === 'leader') return m;
  }
  return undefined;
}

function memberTool(install: OvnInstall) {
  return install.tool('ovsdb-server');
}

/** Starts one member's ovsdb-server (its database file must exist) and records its PID. */
export function launchMember(cluster: RaftCluster, member: RaftMember): RecordedProcess {
  const program = memberTool(selectedInstall());
  const started = startDetached(
    member.name,
    program.file,
    [...program.args, ...raftServerArgs(member)],
    member.consoleFile,
    ovsEnv(cluster.layout),
  );
  const proc: RecordedProcess = {
    ...started,
    ...(program.args.length > 0 ? { leading: program.args } : {}),
  };
  member.process = proc;
  return proc;
}

async function until(
  what: string,
  limitMs: number,
  clock: Clock,
  test: () => Promise<boolean>,
  explain: () => Promise<string> = () => Promise.resolve(''),
): Promise<void> {
  const deadline = clock.now() + limitMs;
  while (clock.now() < deadline) {
    if (await test()) return;
    await clock.sleep(50);
  }
  throw new Error(`${what} not within ${String(limitMs / 1000)} s ${await explain()}`);
}

/**
 * Waits until the member serves its database on both its socket and its port and has joined
 * the cluster (a joining member lists the database before it has a copy of it).
 */
export async function waitMemberReady(
  cluster: RaftCluster,
  member: RaftMember,
  clock: Clock = realClock,
  limitMs = 30_000,
): Promise<void> {
  const port = Number(member.remote.slice(member.remote.lastIndexOf(':') + 1));
  await until(
    `${member.name} ready`,
    limitMs,
    clock,
    async () => {
      // One that exited (its port taken meanwhile, a bad database) will not become ready.
      if (member.process && !isOurs(member.process) && hasExited(member.process.pid)) {
        throw new Error(
          `${member.name} exited while starting; last lines of ${member.logFile}:\n${await tail(member.logFile)}\n${member.consoleFile}:\n${await tail(member.consoleFile)}`,
        );
      }
      return (
        (await serves({ path: member.socket }, cluster.database, clock)) &&
        (await serves({ host: '127.0.0.1', port }, cluster.database, clock)) &&
        (await memberStatus(cluster, member))?.status === 'cluster member'
      );
    },
    async () =>
      `(status: ${JSON.stringify(await memberStatus(cluster, member))}); last lines of ${member.logFile}:\n${await tail(member.logFile)}`,
  );
}

/** Waits until some running member is the leader and returns it. */
export async function waitLeader(
  cluster: RaftCluster,
  clock: Clock = realClock,
  limitMs = 30_000,
): Promise<RaftMember> {
  let leader: RaftMember | undefined;
  await until(`a leader of ${cluster.database}`, limitMs, clock, async () => {
    leader = await raftLeader(cluster);
    return leader !== undefined;
  });
  return leader as RaftMember;
}

export interface RaftClusterOptions {
  /** Members; three tolerates the loss of one. */
  size: number;
  clock?: Clock;
}

/**
 * Creates and starts an `size`-member cluster of one database in the instance's folders, on
 * fresh loopback ports; returns once every member has joined and one leads. A start that fails
 * half-way stops what it started.
 */
export async function startRaftCluster(
  layout: OvnLayout,
  which: ClusteredDatabase,
  opts: RaftClusterOptions,
): Promise<RaftCluster> {
  const clock = opts.clock ?? realClock;
  if (!Number.isInteger(opts.size) || opts.size < 1) {
    throw new Error(`a clustered database has 1 or more members, not ${String(opts.size)}`);
  }
  for (const dir of [layout.logDir, layout.dbDir, layout.ovnRunDir]) {
    await mkdir(dir, { recursive: true });
  }
  const cluster = raftClusterPlan(layout, which, await freshPortsAvoiding([], opts.size * 2));
  const install = selectedInstall();
  const tool = install.tool('ovsdb-tool');
  const schema = which === 'nb' ? install.schemas.nb : install.schemas.sb;
  try {
    for (const member of cluster.members) {
      await rm(member.db, { force: true });
      const args = raftCreateArgs(cluster, member, schema);
      await check(
        run({
          file: tool.file,
          args: [...tool.args, ...args],
          env: ovsEnv(layout),
          killAfterMs: 60_000,
        }),
        `ovsdb-tool ${args.join(' ')}`,
      );
      launchMember(cluster, member);
      // One at a time: each joins through member 1, which must already lead.
      await waitMemberReady(cluster, member, clock);
    }
    await waitLeader(cluster, clock);
  } catch (err) {
    await stopRaftCluster(cluster);
    throw err;
  }
  return cluster;
}

/** Kills a member at once (SIGKILL), as a crash or a lost host would; only if it is ours. */
export async function killMember(member: RaftMember): Promise<void> {
  const proc = member.process;
  if (!proc || !isOurs(proc)) return;
  process.kill(proc.pid, 'SIGKILL');
  await awaitExit(proc);
  while (isOurs(proc)) await new Promise((r) => setTimeout(r, 10));
}

/** Starts a stopped or killed member again on its database, ports and sockets. */
export async function restartMember(
  cluster: RaftCluster,
  member: RaftMember,
  clock: Clock = realClock,
): Promise<void> {
  if (member.process && isOurs(member.process)) return;
  if (member.process) await awaitExit(member.process);
  launchMember(cluster, member);
  await waitMemberReady(cluster, member, clock);
}

/** Stops every member that runs (SIGTERM, then SIGKILL), newest first. */
export async function stopRaftCluster(cluster: RaftCluster): Promise<void> {
  for (const m of [...cluster.members].reverse()) {
    if (m.process) await stopProcess(m.process);
  }
}

export interface ClusteredCentral {
  nb: RaftCluster;
  sb: RaftCluster;
  northd: RecordedProcess;
}

/**
 * OVN central with clustered databases: NB and SB of `size` members each, and ovn-northd
 * connected to every member of both (it follows each cluster's leader itself).
 */
export async function startClusteredCentral(
  layout: OvnLayout,
  opts: RaftClusterOptions,
): Promise<ClusteredCentral> {
  const clock = opts.clock ?? realClock;
  const nb = await startRaftCluster(layout, 'nb', opts);
  let sb: RaftCluster | undefined;
  try {
    sb = await startRaftCluster(layout, 'sb', opts);
    const program = selectedInstall().tool('ovn-northd');
    const logFile = path.join(layout.logDir, 'ovn-northd.log');
    const started = startDetached(
      'ovn-northd',
      program.file,
      [
        ...program.args,
        `--ovnnb-db=${remotesOf(nb)}`,
        `--ovnsb-db=${remotesOf(sb)}`,
        `--pidfile=${layout.northdPidfile}`,
        `--unixctl=${layout.northdCtl}`,
        `--log-file=${logFile}`,
        '-vconsole:off',
      ],
      path.join(layout.logDir, 'ovn-northd.console.log'),
      ovsEnv(layout),
    );
    const northd: RecordedProcess = {
      ...started,
      ...(program.args.length > 0 ? { leading: program.args } : {}),
    };
    try {
      const ask = async (args: string[]) => {
        const r = await appctl(layout, layout.northdCtl, args, { timeoutSeconds: 2 });
        return r.code === 0 ? r.stdout.trim() : undefined;
      };
      await until(
        'ovn-northd active and connected',
        30_000,
        clock,
        async () =>
          (await ask(['status'])) === 'Status: active' &&
          (await ask(['nb-connection-status'])) === 'connected' &&
          (await ask(['sb-connection-status'])) === 'connected',
        async () =>
          `(${String(await ask(['status']))}, NB ${String(await ask(['nb-connection-status']))}, SB ${String(await ask(['sb-connection-status']))}); last lines of ${logFile}:\n${await tail(logFile)}`,
      );
    } catch (err) {
      await stopProcess(northd);
      throw err;
    }
    return { nb, sb, northd };
  } catch (err) {
    if (sb) await stopRaftCluster(sb);
    await stopRaftCluster(nb);
    throw err;
  }
}

/** Stops ovn-northd and every member of both clusters, by PID. */
export async function stopClusteredCentral(central: ClusteredCentral): Promise<void> {
  await stopProcess(central.northd);
  await stopRaftCluster(central.sb);
  await stopRaftCluster(central.nb);
}
