// The smallest Uniwasm app: GET /hello -> 200 "hello from Uniwasm".
// See ../http-server-demo/src/app.c for the ownership rules of the bindings.

#include "hello.h"

// Synthesized by wasm-ld: runs the module's constructors. Calling it from
// `init` keeps wasm-ld from wrapping every export in constructor calls.
extern void __wasm_call_ctors(void);

// The host serves with the router after `init` returns: keep both handles.
static spiderlightning_slight_http_server_own_router_t router;
static spiderlightning_slight_http_server_own_server_t server;

bool exports_hello_init(hello_string_t *err) {
  __wasm_call_ctors();

  spiderlightning_slight_http_server_http_router_error_t r_err;
  hello_string_t route, handler, address;
  hello_string_set(&route, "/hello");
  hello_string_set(&handler, "handle-hello"); // the name of the export below
  hello_string_set(&address, "0.0.0.0:3000");
  bool ok = spiderlightning_slight_http_server_static_router_new(&router, &r_err);
  if (ok) {
    spiderlightning_slight_http_server_borrow_router_t r =
        spiderlightning_slight_http_server_borrow_router(router);
    ok = spiderlightning_slight_http_server_method_router_get(r, &route, &handler, &r_err) &&
         spiderlightning_slight_http_server_static_server_serve(&address, r, &server, &r_err);
  }
  if (!ok) {
    spiderlightning_slight_http_server_http_router_error_free(&r_err);
    // Heap copy: `cabi_post_init` frees the error string.
    hello_string_dup(err, "cannot serve GET /hello on 0.0.0.0:3000");
  }
  return ok;
}

bool exports_hello_handle_hello(hello_request_t *req, hello_response_t *ret,
                                hello_http_error_t *err) {
  (void)err;
  hello_request_free(req);
  // Heap copy: `cabi_post_handle-hello` frees the body.
  hello_string_t body;
  hello_string_dup(&body, "hello from Uniwasm\n");
  *ret = (hello_response_t){.status = 200};
  ret->body.is_some = true;
  ret->body.val = (spiderlightning_slight_http_types_body_t){body.ptr, body.len};
  return true;
}
