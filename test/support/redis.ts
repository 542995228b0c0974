// A redis-server that tests start, kill and restart, for outages.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';

/** A redis-server a test starts, kills (an outage, not a shutdown) and restarts on a port of its own. */
export class TestRedis {
  private child: ChildProcess | undefined;

  constructor(
    readonly port: number,
    /** More redis-server arguments (persistence, a password, …). */
    private readonly extraArgs: string[] = [],
  ) {}

  async start(): Promise<void> {
    const args = ['--bind', '127.0.0.1', '--port', String(this.port), '--save', '', '--appendonly', 'no', ...this.extraArgs];
    this.child = spawn('redis-server', args, { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await this.listening())) {
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${this.port}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async kill(): Promise<void> {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGKILL');
    await once(this.child, 'exit');
  }

  /** Stops the server without closing its sockets (SIGSTOP): commands wait in its receive queue. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Whether a client's bytes wait unread on one of the server's connections (a paused server's). */
  hasUnreadCommand(): boolean {
    // ss prints `Recv-Q Send-Q Local Peer` for each established connection on the server's port.
    const lines = execFileSync('ss', ['-tnH', 'state', 'established', `( sport = :${this.port} )`], { encoding: 'utf8' });
    return lines.split('\n').some((line) => Number(line.trim().split(/\s+/)[0]) > 0);
  }

  /** Runs redis-cli against this server and returns its output, trimmed. */
  cli(...args: string[]): string {
    return execFileSync('redis-cli', ['-p', String(this.port), ...args], { encoding: 'utf8' }).trim();
  }

  private listening(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(this.port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
  }
}
