// Tests run/routes.ts: the routes read from the kernel's boot log, and the one a browser opens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathToOpen, routeFromConsole } from '../../../src/run/routes';

test("the kernel's route lines give method and pattern; other console lines give nothing", () => {
  // As kernel/platform/src/app.rs logs them through serial.rs.
  assert.deepEqual(routeFromConsole('[    0.052113] INFO  app: GET /hello -> handle-hello'), { method: 'GET', path: '/hello' });
  assert.deepEqual(routeFromConsole('[    0.052200] INFO  app: PUT /bar -> handle-bar'), { method: 'PUT', path: '/bar' });
  assert.deepEqual(routeFromConsole('[    0.052300] INFO  app: GET /users/:id -> handle-user'), { method: 'GET', path: '/users/:id' });
  for (const line of [
    '[    0.050000] INFO  app: a SpiderLightning core module, 23912 bytes',
    '[    0.050000] INFO  app: a component, 80000 bytes, serving wasi:http/incoming-handler#handle',
    'app: GET /hello -> handle-hello said the guest program', // not the kernel's log line
  ]) assert.equal(routeFromConsole(line), undefined, line);
});

test('the browser opens the first GET route it can ask for as it is, else /', () => {
  const demo = [{ method: 'PUT', path: '/bar' }, { method: 'GET', path: '/hello' }, { method: 'GET', path: '/foo' }];
  assert.equal(pathToOpen(demo), '/hello');
  assert.equal(pathToOpen([{ method: 'GET', path: '/users/:id' }, { method: 'GET', path: '/status' }]), '/status');
  assert.equal(pathToOpen([{ method: 'GET', path: '/users/:id' }]), '/');
  assert.equal(pathToOpen([]), '/', 'a component, or routes not logged yet');
});
