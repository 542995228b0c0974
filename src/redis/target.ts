// A Redis URL resolved for the host and for the guest, and the kernel arguments that point the guest at it.
import { lookup } from 'node:dns/promises';
import { HOST_FROM_GUEST } from '../qemu/args';

/** A Redis server as the host and the guest each reach it. */
export interface RedisTarget {
  host: string;
  port: number;
  /** `ip:port` as the guest dials it (the guest resolves no names). */
  guestAddress: string;
  user?: string;
  password?: string;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Parses `redis://[user:password@]host[:port]` (port 6379 by default). */
export async function redisTarget(url: string): Promise<RedisTarget> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`invalid Redis URL "${url}": expected redis://[user:password@]host[:port]`);
  }
  if (parsed.protocol !== 'redis:') {
    throw new Error(`invalid Redis URL "${url}": only redis:// is supported (the guest has no TLS)`);
  }
  if (!parsed.hostname) throw new Error(`invalid Redis URL "${url}": no host`);
  const port = parsed.port ? Number(parsed.port) : 6379;
  const user = decodeURIComponent(parsed.username) || undefined;
  const password = decodeURIComponent(parsed.password) || undefined;
  for (const [what, value] of [['user', user], ['password', password]] as const) {
    if (value !== undefined && /\s/.test(value)) {
      throw new Error(`Redis ${what} must not contain white space (it travels on the kernel command line)`);
    }
  }
  const host = parsed.hostname;
  let guestIp: string;
  if (LOOPBACK.has(host)) {
    guestIp = HOST_FROM_GUEST;
  } else {
    try {
      guestIp = (await lookup(host, { family: 4 })).address;
    } catch {
      throw new Error(`cannot resolve the Redis host "${host}" to an IPv4 address`);
    }
    if (guestIp.startsWith('127.')) guestIp = HOST_FROM_GUEST;
  }
  return { host, port, guestAddress: `${guestIp}:${port}`, user, password };
}

/** The kernel arguments that point the guest at `target`. */
export function redisKernelArgs(target: RedisTarget): string[] {
  const args = [`redis=${target.guestAddress}`];
  if (target.user) args.push(`redis_user=${target.user}`);
  if (target.password) args.push(`redis_password=${target.password}`);
  return args;
}
