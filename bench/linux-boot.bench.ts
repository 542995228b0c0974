// Boot → first 200 on /hello of the Linux guest (Debian's kernel + a minimal initramfs running
// uniwasm-host, bench/linux/), booted with the unikernel's own QEMU arguments (microvm, TCG,
// 128 MiB): its vmlinux by PVH as the unikernel boots, and its packaged bzImage. Given the
// unikernel's kernel, boots it too. All interleaved, so all see the same machine load.
// Also: when uniwasm-host printed "listening", and the image sizes.
// usage: node out/bench/linux-boot.bench.js [RUNS] [UNIKERNEL]
import { statSync } from 'node:fs';
import { linuxGuest, median, round1, start, type Target } from './lib';

const [runsArg, unikernel] = process.argv.slice(2);
const runs = Number(runsArg ?? 11);

interface Series {
  target: Target;
  readyMs: number[];
  listeningMs: number[];
}

async function main(): Promise<void> {
  const guest = linuxGuest();
  const series: Record<string, Series> = {
    linuxPvh: { target: { kind: 'linux' }, readyMs: [], listeningMs: [] },
    linuxBzImage: { target: { kind: 'linux', bzImage: true }, readyMs: [], listeningMs: [] },
  };
  if (unikernel) series.unikernel = { target: { kind: 'unikernel', kernel: unikernel }, readyMs: [], listeningMs: [] };
  for (let i = 0; i < runs; i++) {
    for (const s of Object.values(series)) {
      const run = await start(s.target);
      await run.stop();
      s.readyMs.push(run.readyMs);
      if (run.listeningMs !== undefined) s.listeningMs.push(run.listeningMs);
    }
  }
  const results = Object.fromEntries(Object.entries(series).map(([name, s]) => [name, {
    medianMs: round1(median(s.readyMs)),
    minMs: round1(Math.min(...s.readyMs)),
    // When the server printed its "listening" line; the rest is the first answer through the forward.
    listeningMedianMs: s.listeningMs.length ? round1(median(s.listeningMs)) : null,
    ms: s.readyMs.map(round1),
  }]));
  const ratio = unikernel ? { linuxPvhOverUnikernel: +(median(series.linuxPvh!.readyMs) / median(series.unikernel!.readyMs)).toFixed(1) } : {};
  console.log(JSON.stringify({
    runs,
    ...results,
    ...ratio,
    images: {
      vmlinuxBytes: statSync(guest.kernel).size,
      bzImageBytes: statSync(guest.bzImage).size,
      initramfsBytes: statSync(guest.initrd).size,
      ...(unikernel ? { unikernelBytes: statSync(unikernel).size } : {}),
    },
    cmdline: guest.cmdline,
  }, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
