import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../support/processes.js';

/**
 * A throwaway PostgreSQL cluster of our own (initdb + pg_ctl), so a test can stop
 * and restart the database server under a running API without touching the
 * shared server on 5432. Trust authentication, no fsync, data in a temp folder.
 *
 * PostgreSQL refuses to run as root: when we are root the binaries run as the
 * `postgres` OS user (`runuser`) and the folder is handed to that user.
 */

const run = promisify(execFile);

/** The newest `/usr/lib/postgresql/<version>/bin` that has initdb, or why there is none. */
export function findPostgresBin(): { bin: string } | { reason: string } {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((version) => existsSync(path.join(root, version, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions.length) return { reason: `no initdb under ${root}/*/bin (install the PostgreSQL server package)` };
  const bin = path.join(root, versions[0]!, 'bin');
  if (process.getuid?.() === 0) {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    } catch {
      return { reason: 'running as root, but there is no `postgres` OS user to run initdb as' };
    }
  }
  return { bin };
}

export interface Cluster {
  port: number;
  /** postgresql://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string;
  start(): Promise<void>;
  /** `pg_ctl stop -m <mode>`: `fast` terminates sessions and shuts down cleanly, `immediate` is a crash. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** SIGSTOP / SIGCONT every server process: a database that accepts TCP but answers nothing (a hung host). */
  freeze(): void;
  /** Undoes freeze(); a no-op when not frozen. */
  thaw(): void;
  query(sql: string): Promise<void>;
  /** The server's log, for failure messages. */
  log(): string;
  /** Stops the server (if running) and deletes the folder; safe to call more than once. */
  destroy(): Promise<void>;
}

export async function createCluster(bin: string): Promise<Cluster> {
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'training-pg-'));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const tool = (name: string, args: string[]) => {
    const command = path.join(bin, name);
    return asRoot
      ? run('runuser', ['-u', 'postgres', '--', command, ...args], { cwd: dir })
      : run(command, args, { cwd: dir });
  };
  const port = await freePort();
  let running = false;
  let frozen = false;
  let destroyed = false;

  // Whatever happens to the test process, do not leave a server behind.
  const killOnExit = () => {
    if (!running) return;
    try {
      if (frozen) signalServer(data, 'SIGCONT');
      const args = [path.join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop'];
      if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', ...args], { stdio: 'ignore' });
      else execFileSync(args[0]!, args.slice(1), { stdio: 'ignore' });
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', killOnExit);

  const cluster: Cluster = {
    port,
    url: (database = 'postgres') => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    async start() {
      const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
      await tool('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '30', '-o', options, 'start']);
      running = true;
    },
    async stop(mode = 'fast') {
      await tool('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
      running = false;
    },
    freeze() {
      signalServer(data, 'SIGSTOP');
      frozen = true;
    },
    thaw() {
      if (!frozen) return;
      signalServer(data, 'SIGCONT');
      frozen = false;
    },
    async query(sql) {
      const client = new pg.Client({ connectionString: cluster.url() });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      try {
        cluster.thaw();
        if (running) await cluster.stop('immediate');
      } finally {
        process.removeListener('exit', killOnExit);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };

  try {
    await tool('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    await cluster.start();
  } catch (error) {
    await cluster.destroy().catch(() => {});
    throw error;
  }
  return cluster;
}

/** Sends `signal` to the postmaster of `data` and all its children (found through /proc). */
function signalServer(data: string, signal: NodeJS.Signals): void {
  const postmaster = Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may contain spaces, so read after the last ')'.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false;
      }
    })
    .map(Number);
  for (const pid of [postmaster, ...children]) process.kill(pid, signal);
}
