// An in-memory host for the example apps' tests: it runs a module built by
// build-c-app.sh under Node and speaks the canonical ABI (core-Wasm lowering,
// wasm32) exactly as the kernel must. The layouts below are what
// wit-bindgen's C bindings read and write.
import { readFileSync } from 'node:fs';

export const utf8 = new TextEncoder();
export const text = new TextDecoder();

// keyvalue-error cases, in WIT order.
export const KV_KEY_NOT_FOUND = 0;
export const KV_CONNECTION_ERROR = 3;
// http-error cases, in WIT order.
export const HTTP_UNEXPECTED_ERROR = 4;
export const METHOD = { get: 0, put: 2 };

export async function instantiate(wasmPath) {
  const host = {
    store: new Map(), // Redis stand-in: "container:key" -> Uint8Array
    containers: [], // handle - 1 -> container name
    routes: [], // [method, route, handler, routerHandle]
    routers: 0,
    served: [], // [address, routerHandle]
    failGetWith: null, // [keyvalue-error case, message] for the next get
  };
  let inst;
  const mem = () => new DataView(inst.exports.memory.buffer);
  const bytes = (ptr, len) => new Uint8Array(inst.exports.memory.buffer, ptr, len);
  const str = (ptr, len) => text.decode(bytes(ptr, len));
  // Host-made lists and strings live in guest memory, allocated through the
  // guest's cabi_realloc(old_ptr, old_size, align, new_size); the guest frees them.
  const lower = (data, align = 1) => {
    const ptr = inst.exports.cabi_realloc(0, 0, align, data.length);
    bytes(ptr, data.length).set(data);
    return [ptr, data.length];
  };
  // result<_, E> / result<T, E> at `ret`: tag u8 at 0, payload at 4.
  const ok = (ret) => mem().setUint8(ret, 0);
  const okHandle = (ret, handle) => (ok(ret), mem().setInt32(ret + 4, handle, true));
  // An error variant whose cases all carry a string: case u8 at 4, string at 8 (ptr) / 12 (len).
  const err = (ret, kase, message) => {
    const [ptr, len] = lower(utf8.encode(message));
    const m = mem();
    m.setUint8(ret, 1);
    m.setUint8(ret + 4, kase);
    m.setUint32(ret + 8, ptr, true);
    m.setUint32(ret + 12, len, true);
  };
  const containerKey = (self, kptr, klen) => `${host.containers[self - 1]}:${str(kptr, klen)}`;

  const imports = {
    'spiderlightning:slight/keyvalue': {
      '[static]keyvalue.open': (nptr, nlen, ret) => {
        host.containers.push(str(nptr, nlen));
        okHandle(ret, host.containers.length); // handles start at 1
      },
      '[method]keyvalue.get': (self, kptr, klen, ret) => {
        if (host.failGetWith) {
          const [kase, message] = host.failGetWith;
          host.failGetWith = null;
          return err(ret, kase, message);
        }
        const value = host.store.get(containerKey(self, kptr, klen));
        if (!value) return err(ret, KV_KEY_NOT_FOUND, 'no such key');
        const [ptr, len] = lower(value);
        ok(ret);
        mem().setUint32(ret + 4, ptr, true);
        mem().setUint32(ret + 8, len, true);
      },
      '[method]keyvalue.set': (self, kptr, klen, vptr, vlen, ret) => {
        host.store.set(containerKey(self, kptr, klen), bytes(vptr, vlen).slice());
        ok(ret);
      },
    },
    'spiderlightning:slight/http-server': {
      '[static]router.new': (ret) => okHandle(ret, ++host.routers),
      '[method]router.get': (self, rptr, rlen, hptr, hlen, ret) => {
        host.routes.push(['GET', str(rptr, rlen), str(hptr, hlen), self]);
        ok(ret);
      },
      '[method]router.put': (self, rptr, rlen, hptr, hlen, ret) => {
        host.routes.push(['PUT', str(rptr, rlen), str(hptr, hlen), self]);
        ok(ret);
      },
      '[static]server.serve': (aptr, alen, router, ret) => {
        host.served.push([str(aptr, alen), router]);
        okHandle(ret, 1);
      },
    },
  };
  ({ instance: inst } = await WebAssembly.instantiate(readFileSync(wasmPath), imports));

  // Calls handler export `name` with a request, reads result<response, http-error>
  // and runs its cabi_post_ export, as the kernel does for each HTTP request.
  const call = (name, method, uri, body) => {
    const [uptr, ulen] = lower(utf8.encode(uri));
    // headers: list<tuple<string,string>>, 16 bytes per element.
    const [kptr, klen] = lower(utf8.encode('host'));
    const [vptr, vlen] = lower(utf8.encode('localhost'));
    const hptr = inst.exports.cabi_realloc(0, 0, 4, 16);
    const h = mem();
    h.setUint32(hptr, kptr, true);
    h.setUint32(hptr + 4, klen, true);
    h.setUint32(hptr + 8, vptr, true);
    h.setUint32(hptr + 12, vlen, true);
    const [bptr, blen] = body === undefined ? [0, 0] : lower(body);
    const ret = inst.exports[name](method, uptr, ulen, hptr, 1, 0, 0, body === undefined ? 0 : 1, bptr, blen);
    const m = mem();
    let out;
    if (m.getUint8(ret) === 0) {
      // response at 4: status u16 at 4, option<headers> at 8 (ptr 12, len 16),
      // option<body> at 20 (ptr 24, len 28).
      const hasBody = m.getUint8(ret + 20) === 1;
      out = {
        status: m.getUint16(ret + 4, true),
        headers: m.getUint8(ret + 8) === 1 ? m.getUint32(ret + 16, true) : null,
        body: hasBody ? str(m.getUint32(ret + 24, true), m.getUint32(ret + 28, true)) : null,
      };
    } else {
      out = { error: m.getUint8(ret + 4), message: str(m.getUint32(ret + 8, true), m.getUint32(ret + 12, true)) };
    }
    inst.exports[`cabi_post_${name}`](ret);
    return out;
  };
  return { host, inst, call };
}
