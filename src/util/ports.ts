// Loopback TCP ports: a free one, and a clear error when one is taken.
import { createServer, type AddressInfo, type Server } from 'node:net';

/** Listens on 127.0.0.1:`port` for a moment: resolves with the port bound (a free one for 0). */
function probe(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(bound));
    });
  });
}

/** A loopback TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return probe(0);
}

/** `count` different loopback TCP ports that were free a moment ago (all held while they are chosen). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  })));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** Throws a clear error when 127.0.0.1:`port` is already taken. */
export async function assertPortFree(port: number, what: string): Promise<void> {
  try {
    await probe(port);
  } catch (err) {
    throw listenError(err, port, what);
  }
}

/** A failed listen on 127.0.0.1:`port`, said clearly when the port is taken or not allowed. */
export function listenError(err: unknown, port: number, what: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new Error(`${what}: port ${port} on 127.0.0.1 is already in use`);
  if (code === 'EACCES') return new Error(`${what}: not allowed to listen on port ${port}`);
  return err;
}

/** True when something listens on 127.0.0.1:`port` (binding it fails with EADDRINUSE). */
export async function portInUse(port: number): Promise<boolean> {
  try {
    await probe(port);
    return false;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') return true;
    throw err;
  }
}
