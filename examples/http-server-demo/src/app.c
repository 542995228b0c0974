// SpiderLightning's http-server-demo for Uniwasm, in C.
//
//   GET /hello -> 200 "hello, world"
//   GET /foo   -> 200 with the value of `key` in container `my-container`,
//                 404 when the key is missing
//   PUT /bar   -> sets `key` in `my-container` to the request body, 200
//
// Bindings come from `wit-bindgen c` (see build.sh). Ownership follows the
// canonical ABI as wit-bindgen's C generator implements it:
// - an export receives its arguments owned: every handler frees `req`;
// - what an export returns is freed by the `cabi_post_*` export after the
//   host has read it, with free(): so every string and list in a response
//   or an error must come from malloc, never from a literal;
// - an import borrows its arguments and returns results we own.

#include <stdlib.h>
#include <string.h>

#include "http_server_demo.h"

typedef http_server_demo_string_t string_t;
typedef spiderlightning_slight_http_types_body_t body_t;
typedef spiderlightning_slight_keyvalue_keyvalue_error_t kv_error_t;

// Handles kept for the life of the instance: the host serves with the router
// after `init` returns, and the handlers use the container.
static spiderlightning_slight_keyvalue_own_keyvalue_t container;
static spiderlightning_slight_http_server_own_router_t router;
static spiderlightning_slight_http_server_own_server_t server;

static string_t key_name(void) {
  string_t key;
  // `set` keeps a literal without copying: fine for an import argument,
  // which the callee only borrows.
  http_server_demo_string_set(&key, "key");
  return key;
}

static spiderlightning_slight_keyvalue_borrow_keyvalue_t kv(void) {
  return spiderlightning_slight_keyvalue_borrow_keyvalue(container);
}

static http_server_demo_response_t respond(uint16_t status, body_t body) {
  http_server_demo_response_t res = {.status = status};
  res.body.is_some = true;
  res.body.val = body;
  return res;
}

// A heap copy of `s`, since the response is freed by `cabi_post_*`.
static body_t body_of(const char *s) {
  string_t copy;
  http_server_demo_string_dup(&copy, s);
  return (body_t){copy.ptr, copy.len};
}

// A keyvalue error becomes the handler's http-error, moving its message.
// Which HTTP status that error gets is up to the host.
static http_server_demo_http_error_t http_error_of(kv_error_t *e) {
  http_server_demo_http_error_t err;
  // Every variant of keyvalue-error carries one string at the same place.
  string_t msg = e->val.unexpected_error;
  if (e->tag == SPIDERLIGHTNING_SLIGHT_KEYVALUE_KEYVALUE_ERROR_TIMEOUT_ERROR) {
    err.tag = SPIDERLIGHTNING_SLIGHT_HTTP_TYPES_HTTP_ERROR_TIMEOUT_ERROR;
    err.val.timeout_error = msg;
  } else {
    err.tag = SPIDERLIGHTNING_SLIGHT_HTTP_TYPES_HTTP_ERROR_UNEXPECTED_ERROR;
    err.val.unexpected_error = msg;
  }
  return err;
}

// Synthesized by wasm-ld: runs the module's constructors. Calling it from
// `init` (once, at boot) also tells wasm-ld the module runs them itself, so it
// does not wrap every export in a constructor/destructor call.
extern void __wasm_call_ctors(void);

static bool init_failed(string_t *err, const char *what) {
  http_server_demo_string_dup(err, what);
  return false;
}

bool exports_http_server_demo_init(string_t *err) {
  __wasm_call_ctors();

  string_t name;
  kv_error_t kv_err;
  http_server_demo_string_set(&name, "my-container");
  if (!spiderlightning_slight_keyvalue_static_keyvalue_open(&name, &container, &kv_err)) {
    spiderlightning_slight_keyvalue_keyvalue_error_free(&kv_err);
    return init_failed(err, "cannot open container my-container");
  }

  spiderlightning_slight_http_server_http_router_error_t r_err;
  if (!spiderlightning_slight_http_server_static_router_new(&router, &r_err)) {
    spiderlightning_slight_http_server_http_router_error_free(&r_err);
    return init_failed(err, "cannot create the router");
  }
  spiderlightning_slight_http_server_borrow_router_t r =
      spiderlightning_slight_http_server_borrow_router(router);

  // Handler names are the names of this module's exports.
  string_t route, handler;
  http_server_demo_string_set(&route, "/hello");
  http_server_demo_string_set(&handler, "handle-hello");
  bool ok = spiderlightning_slight_http_server_method_router_get(r, &route, &handler, &r_err);
  if (ok) {
    http_server_demo_string_set(&route, "/foo");
    http_server_demo_string_set(&handler, "handle-foo");
    ok = spiderlightning_slight_http_server_method_router_get(r, &route, &handler, &r_err);
  }
  if (ok) {
    http_server_demo_string_set(&route, "/bar");
    http_server_demo_string_set(&handler, "handle-bar");
    ok = spiderlightning_slight_http_server_method_router_put(r, &route, &handler, &r_err);
  }
  if (!ok) {
    spiderlightning_slight_http_server_http_router_error_free(&r_err);
    return init_failed(err, "cannot register the routes");
  }

  string_t address;
  http_server_demo_string_set(&address, "0.0.0.0:3000");
  if (!spiderlightning_slight_http_server_static_server_serve(&address, r, &server, &r_err)) {
    spiderlightning_slight_http_server_http_router_error_free(&r_err);
    return init_failed(err, "cannot serve on 0.0.0.0:3000");
  }
  return true;
}

bool exports_http_server_demo_handle_hello(http_server_demo_request_t *req,
                                           http_server_demo_response_t *ret,
                                           http_server_demo_http_error_t *err) {
  (void)err;
  http_server_demo_request_free(req);
  *ret = respond(200, body_of("hello, world\n"));
  return true;
}

bool exports_http_server_demo_handle_foo(http_server_demo_request_t *req,
                                         http_server_demo_response_t *ret,
                                         http_server_demo_http_error_t *err) {
  http_server_demo_request_free(req);
  string_t key = key_name();
  spiderlightning_slight_keyvalue_payload_t value;
  kv_error_t kv_err;
  if (spiderlightning_slight_keyvalue_method_keyvalue_get(kv(), &key, &value, &kv_err)) {
    // The value moves into the response: `cabi_post_handle-foo` frees it.
    *ret = respond(200, (body_t){value.ptr, value.len});
    return true;
  }
  if (kv_err.tag == SPIDERLIGHTNING_SLIGHT_KEYVALUE_KEYVALUE_ERROR_KEY_NOT_FOUND) {
    spiderlightning_slight_keyvalue_keyvalue_error_free(&kv_err);
    *ret = respond(404, body_of("key not found\n"));
    return true;
  }
  *err = http_error_of(&kv_err);
  return false;
}

bool exports_http_server_demo_handle_bar(http_server_demo_request_t *req,
                                         http_server_demo_response_t *ret,
                                         http_server_demo_http_error_t *err) {
  string_t key = key_name();
  // A request without a body sets the empty value.
  spiderlightning_slight_keyvalue_payload_t value = {NULL, 0};
  if (req->body.is_some) {
    value.ptr = req->body.val.ptr;
    value.len = req->body.val.len;
  }
  kv_error_t kv_err;
  bool ok = spiderlightning_slight_keyvalue_method_keyvalue_set(kv(), &key, &value, &kv_err);
  // `set` only borrowed the body: free the request after the call.
  http_server_demo_request_free(req);
  if (!ok) {
    *err = http_error_of(&kv_err);
    return false;
  }
  *ret = (http_server_demo_response_t){.status = 200};
  return true;
}
