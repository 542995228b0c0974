// Boot → first 200 on GET /hello of the unikernel running APP, against QEMU's floor: the same QEMU,
// machine type and accel booting a PVH kernel that exits at its first instructions. Medians of N
// runs, side by side.
// usage: node out/bench/boot.bench.js KERNEL FLOOR_KERNEL APP.wasm [RUNS]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { qemuArgs } from '../src/qemu/args';
import { freePort } from '../src/util/ports';

const [kernel, floorKernel, app, runsArg] = process.argv.slice(2);
if (!kernel || !floorKernel || !app) {
  console.error('usage: boot.bench.js KERNEL FLOOR_KERNEL APP.wasm [RUNS]');
  process.exit(2);
}
const runs = Number(runsArg ?? 15);
const qemu = 'qemu-system-x86_64';

/** True when GET `url` answered 200. */
function ok200(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 1000, headers: { connection: 'close' } }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Wall time of QEMU booting the floor kernel until it exits. */
async function floorRun(): Promise<number> {
  const t0 = performance.now();
  const child = spawn(qemu, ['-M', 'microvm', '-accel', 'tcg', '-m', '128', '-nodefaults', '-no-user-config', '-nographic',
    '-device', 'isa-debug-exit,iobase=0xf4,iosize=0x04', '-kernel', floorKernel!], { stdio: 'ignore' });
  await once(child, 'exit');
  return performance.now() - t0;
}

/** Wall time from starting QEMU to the first 200 on /hello through the forwarded port. */
async function bootRun(): Promise<number> {
  const hostPort = await freePort();
  const args = qemuArgs({ qemuBinary: qemu, kernel: kernel!, app, machine: 'microvm', accel: 'tcg', memoryMiB: 128,
    hostPorts: [hostPort], guestPort: 3000, cmdline: 'ip=10.0.2.15/24 gw=10.0.2.2 port=3000 log=warn' });
  const t0 = performance.now();
  const child = spawn(qemu, args, { stdio: 'ignore' });
  while (!(await ok200(`http://127.0.0.1:${hostPort}/hello`))) {
    if (child.exitCode !== null) throw new Error(`QEMU exited with ${child.exitCode} before answering`);
  }
  const elapsed = performance.now() - t0;
  child.kill('SIGKILL');
  await once(child, 'exit');
  return elapsed;
}

async function main(): Promise<void> {
  const floor: number[] = [];
  const boot: number[] = [];
  for (let i = 0; i < runs; i++) {
    floor.push(await floorRun()); // interleaved, so both see the same machine load
    boot.push(await bootRun());
  }
  const f = median(floor);
  const b = median(boot);
  const ms = (xs: number[]) => xs.map((x) => +x.toFixed(1));
  console.log(JSON.stringify({ runs, floorMedianMs: +f.toFixed(1), bootMedianMs: +b.toFixed(1), ratio: +(b / f).toFixed(2),
    floorMs: ms(floor), bootMs: ms(boot) }, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
