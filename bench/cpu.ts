/**
 * Where the CPU goes during a benchmark level (Linux /proc): the server process (its event
 * loop and its argon2 threads), every PostgreSQL process, and this load generator. Divided by
 * the logins done, it says what each part costs per login — and so why logins/s sits where it
 * does against the hashing bound, which has all the cores to itself.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

function processCpuMs(pid: number | string): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / clockTicks()) * 1000;
  } catch {
    return 0;
  }
}

/** CPU of the process's libuv thread pool ("libuv-worker" threads): where argon2 runs (and file reads, which a login has none of). */
function threadPoolCpuMs(pid: number | string): number {
  let total = 0;
  try {
    for (const thread of readdirSync(`/proc/${pid}/task`)) {
      try {
        if (readFileSync(`/proc/${pid}/task/${thread}/comm`, 'utf8').trim() === 'libuv-worker') total += processCpuMs(`${pid}/task/${thread}`);
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // the process ended
  }
  return total;
}

/** Every PostgreSQL process on this machine. */
export function postgresPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'postgres') pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

function postgresCpuMs(): number {
  return postgresPids().reduce((sum, pid) => sum + processCpuMs(pid), 0);
}

export interface CpuSnapshot {
  server: number;
  /** Of `server`, what its libuv thread pool used: argon2, measured rather than estimated. */
  serverThreadPool: number;
  postgres: number;
  loadGenerator: number;
}

/** CPU used so far by the server process(es), PostgreSQL and this process. */
export function cpuSnapshot(serverPids: number | number[]): CpuSnapshot {
  const own = process.cpuUsage();
  const pids = [serverPids].flat();
  const server = pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
  const serverThreadPool = pids.reduce((sum, pid) => sum + threadPoolCpuMs(pid), 0);
  return { server, serverThreadPool, postgres: postgresCpuMs(), loadGenerator: (own.user + own.system) / 1000 };
}

/** CPU milliseconds per operation between two snapshots (processes that vanished count as 0). */
export function cpuPer(before: CpuSnapshot, after: CpuSnapshot, operations: number): CpuSnapshot {
  const per = (key: keyof CpuSnapshot) => (operations > 0 ? (after[key] - before[key]) / operations : Number.NaN);
  return { server: per('server'), serverThreadPool: per('serverThreadPool'), postgres: per('postgres'), loadGenerator: per('loadGenerator') };
}

/** The local TCP ports of a process's sockets connected to `remotePort` (IPv4 and IPv6, from /proc). */
function tcpPortsOf(pid: number, remotePort: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode) inodes.add(inode);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || !inodes.has(fields[9] as string)) continue;
      const local = Number.parseInt((fields[1] as string).split(':')[1] as string, 16);
      const remote = Number.parseInt((fields[2] as string).split(':')[1] as string, 16);
      if (remote === remotePort) ports.push(local);
    }
  }
  return ports;
}

/**
 * The PostgreSQL backends serving one server process: its connections' local ports, matched
 * to `pg_stat_activity.client_port` of the admin connection's database, and kept only if they
 * are PostgreSQL processes of this machine. Two servers on one database then have their own
 * PostgreSQL CPU (each backend serves one connection, so one server). Over TCP to a
 * PostgreSQL on this machine only: otherwise there is nothing to match, and the list is empty.
 */
export async function postgresBackendsOf(pid: number, admin: { query(text: string, values: unknown[]): Promise<{ rows: unknown[] }> }, postgresPort: number): Promise<number[]> {
  const ports = tcpPortsOf(pid, postgresPort);
  if (ports.length === 0) return [];
  const { rows } = await admin.query('select pid from pg_stat_activity where client_port = any($1::int[]) and datname = current_database()', [ports]);
  const local = new Set(postgresPids());
  return (rows as { pid: number }[]).map((row) => row.pid).filter((backend) => local.has(backend));
}

/** CPU used so far by each of these processes (a process that ended reads 0). */
export function cpuOfProcesses(pids: readonly number[]): Map<number, number> {
  return new Map(pids.map((pid) => [pid, processCpuMs(pid)]));
}

/**
 * CPU the backends used between two readings: a backend seen only at the end started during
 * the interval (from 0); one seen only at the start ended (what it used before ending is lost:
 * under steady load the pool keeps its connections, so this is rare).
 */
export function backendCpuBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, now] of after) total += now - (before.get(pid) ?? 0);
  return total;
}
