// The same component under `wasmtime serve` and in the unikernel (QEMU, TCG), sent the same requests:
// the answers must be the same where two runtimes must agree (requests.ts says where that is).
// Where they may differ, the unikernel's own answer is checked against what docs/WASI.md says.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { productRoot } from '../../src/util/paths';
import { freePort } from '../../src/util/ports';
import { runCli, startCli, waitForReady, type CliProcess } from '../support/cli';
import { comparable, compatRequests, send, storedValue } from './requests';
import { serve, stop, type Wasmtime } from './wasmtime';

/** The unikernel's answers that wasmtime's cannot be compared with, as docs/WASI.md describes them. */
const ownAnswers: Record<string, (res: Awaited<ReturnType<typeof send>>) => void> = {
  // One instance serves request after request (wasmtime makes one per request): the PUT's value is there.
  'GET /foo after PUT /bar': (res) => assert.deepEqual({ status: res.status, body: res.body.toString() }, { status: 200, body: storedValue }),
  // The trap's answer is the unikernel's own text, not wasmtime's HTML page.
  'GET /trap': (res) => assert.match(res.body.toString(), /^the handler trapped: /),
};

for (const example of ['http-component-c', 'http-component-rust']) {
  describe(`${example}: the unikernel answers as wasmtime serve does`, () => {
    let reference: Wasmtime | undefined;
    let unikernel: CliProcess | undefined;
    let origin = '';

    before(async () => {
      const built = await runCli(['build', '--json', '--app', join(productRoot(), 'examples', example)]);
      assert.equal(built.code, 0, `uniwasm build failed:\n${built.stderr}`);
      const { app } = JSON.parse(built.stdout) as { app: string };
      reference = await serve(app);
      unikernel = startCli(['run', '--app', app, '--port', String(await freePort())]);
      origin = await waitForReady(unikernel);
    });

    after(async () => {
      if (reference) await stop(reference);
      if (unikernel && unikernel.child.exitCode === null) {
        unikernel.child.kill('SIGTERM');
        assert.equal(await unikernel.exited, 0, unikernel.stderr());
      }
    });

    // In list order on both: GET /foo must come after PUT /bar.
    for (const req of compatRequests) {
      test(req.name, async () => {
        const [mine, theirs] = [await send(origin, req), await send(reference!.origin, req)];
        assert.deepEqual(comparable(req, mine), comparable(req, theirs), `${req.name}: the unikernel differs from wasmtime serve`);
        ownAnswers[req.name]?.(mine);
      });
    }
  });
}
