// The smallest guest RAM (QEMU -m, MiB) at which a guest boots and answers 200 on /hello, found by
// bisection (one boot per probe; a probe that does not answer within the timeout fails).
// usage: node out/bench/memory.bench.js linux|unikernel=KERNEL [MAX_MIB]
import { start, parseTarget } from './lib';

const [spec, maxArg] = process.argv.slice(2);
const target = parseTarget(spec ?? '');
const maxMiB = Number(maxArg ?? 128);

/** Whether the guest serves /hello with `memoryMiB`. */
async function serves(memoryMiB: number): Promise<boolean> {
  try {
    const run = await start(target, { memoryMiB, timeoutMs: 30_000 });
    await run.stop();
    return true;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  if (target.kind === 'host') throw new Error('the host has no guest RAM to size');
  const probes: Record<number, boolean> = {};
  const probe = async (m: number) => (probes[m] = await serves(m));
  if (!(await probe(maxMiB))) throw new Error(`${target.kind} does not serve /hello even with ${maxMiB} MiB`);
  // Invariant: `ok` serves, `bad` does not (or is 0).
  let [bad, ok] = [0, maxMiB];
  while (ok - bad > 1) {
    const mid = Math.floor((bad + ok) / 2);
    if (await probe(mid)) ok = mid;
    else bad = mid;
  }
  console.log(JSON.stringify({ target: target.kind, minMiB: ok, probes }, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
