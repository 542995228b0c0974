// The seed's http-server-demo as a wasi:http/proxy component, in C (routes in README.md).
//
// Bindings come from `wit-bindgen c` for the world wasi:http/proxy (see build.sh). The rules of
// the component model that shape this code:
// - every `own` handle is dropped or passed on exactly once;
// - a child resource (a request's headers, a body's stream) is dropped before its parent;
// - lists and strings an import returns are ours to free (they come from cabi_realloc = malloc);
// - blocking-write-and-flush takes at most 4096 bytes per call.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

typedef wasi_http_types_own_fields_t fields_t;
typedef wasi_http_types_borrow_incoming_request_t request_t;
typedef wasi_http_types_own_response_outparam_t outparam_t;

#define WRITE_MAX 4096
#define READ_MAX 65536

static const char TEXT[] = "text/plain; charset=utf-8";

// What PUT /bar stored, for GET /foo. Instance memory only: wasi:keyvalue comes later, and a runtime
// that makes a fresh instance per request (wasmtime serve) forgets it between requests.
static struct {
  bool set;
  uint8_t *bytes;
  size_t len;
} stored;

// One request being answered.
typedef struct {
  request_t request;
  outparam_t outparam;
  // HEAD: answer what GET would, without writing the body.
  bool head;
  // The status sent, for the access log line.
  uint16_t status;
} exchange_t;

// A response whose status and headers are sent: its body is written through `stream`.
typedef struct {
  wasi_http_types_own_outgoing_body_t body;
  wasi_io_streams_own_output_stream_t stream;
  bool head;
} reply_t;

static void add_header(fields_t headers, const char *name, const uint8_t *value, size_t len) {
  wasi_http_types_field_name_t n = {(uint8_t *)name, strlen(name)};
  wasi_http_types_field_value_t v = {(uint8_t *)value, len};
  wasi_http_types_header_error_t err;
  // Our own names and values are valid: a failure here is a bug, stop loudly.
  if (!wasi_http_types_method_fields_append(wasi_http_types_borrow_fields(headers), &n, &v, &err)) {
    __builtin_trap();
  }
}

static void add_text_header(fields_t headers, const char *name, const char *value) {
  add_header(headers, name, (const uint8_t *)value, strlen(value));
}

// Sends the status and headers (consumed) and opens the body for writing.
static reply_t start_reply(exchange_t *x, uint16_t status, fields_t headers) {
  wasi_http_types_own_outgoing_response_t response = wasi_http_types_constructor_outgoing_response(headers);
  wasi_http_types_borrow_outgoing_response_t borrowed = wasi_http_types_borrow_outgoing_response(response);
  reply_t reply = {.head = x->head};
  x->status = status;
  if (!wasi_http_types_method_outgoing_response_set_status_code(borrowed, status) ||
      !wasi_http_types_method_outgoing_response_body(borrowed, &reply.body) ||
      !wasi_http_types_method_outgoing_body_write(wasi_http_types_borrow_outgoing_body(reply.body), &reply.stream)) {
    __builtin_trap(); // each can only fail when called twice
  }
  wasi_http_types_result_own_outgoing_response_error_code_t result = {.is_err = false, .val.ok = response};
  wasi_http_types_static_response_outparam_set(x->outparam, &result);
  return reply;
}

// Writes `len` bytes in pieces blocking-write-and-flush accepts. False when the client went away.
static bool write_body(reply_t *reply, const uint8_t *bytes, size_t len) {
  if (reply->head) return true;
  wasi_io_streams_borrow_output_stream_t stream = wasi_io_streams_borrow_output_stream(reply->stream);
  for (size_t at = 0; at < len;) {
    size_t n = len - at < WRITE_MAX ? len - at : WRITE_MAX;
    proxy_list_u8_t piece = {(uint8_t *)bytes + at, n};
    wasi_io_streams_stream_error_t err;
    if (!wasi_io_streams_method_output_stream_blocking_write_and_flush(stream, &piece, &err)) {
      if (err.tag == WASI_IO_STREAMS_STREAM_ERROR_LAST_OPERATION_FAILED) {
        wasi_io_error_error_drop_own(err.val.last_operation_failed);
      }
      return false;
    }
    at += n;
  }
  return true;
}

// Ends the body: finished when complete, dropped unfinished (the runtime reports it) when not.
static void end_reply(reply_t *reply, bool complete) {
  wasi_io_streams_output_stream_drop_own(reply->stream);
  if (!complete) {
    wasi_http_types_outgoing_body_drop_own(reply->body);
    return;
  }
  wasi_http_types_error_code_t err;
  if (!wasi_http_types_static_outgoing_body_finish(reply->body, NULL, &err)) {
    wasi_http_types_error_code_free(&err);
  }
}

static void reply_bytes(exchange_t *x, uint16_t status, fields_t headers, const uint8_t *body, size_t len) {
  reply_t reply = start_reply(x, status, headers);
  end_reply(&reply, write_body(&reply, body, len));
}

static void reply_text(exchange_t *x, uint16_t status, const char *text) {
  fields_t headers = wasi_http_types_constructor_fields();
  add_text_header(headers, "content-type", TEXT);
  reply_bytes(x, status, headers, (const uint8_t *)text, strlen(text));
}

typedef bool (*sink_t)(void *ctx, const uint8_t *bytes, size_t len);

// Reads an incoming body (consumed) as it arrives, handing each piece to `sink`, which returns false
// to stop. True when the whole body was read and taken.
static bool read_incoming_body(wasi_http_types_own_incoming_body_t body, sink_t sink, void *ctx) {
  wasi_io_streams_own_input_stream_t stream;
  if (!wasi_http_types_method_incoming_body_stream(wasi_http_types_borrow_incoming_body(body), &stream)) {
    wasi_http_types_incoming_body_drop_own(body);
    return false;
  }
  wasi_io_streams_borrow_input_stream_t borrowed = wasi_io_streams_borrow_input_stream(stream);
  bool complete;
  for (;;) {
    proxy_list_u8_t piece;
    wasi_io_streams_stream_error_t err;
    if (!wasi_io_streams_method_input_stream_blocking_read(borrowed, READ_MAX, &piece, &err)) {
      complete = err.tag == WASI_IO_STREAMS_STREAM_ERROR_CLOSED; // closed: the end of the body
      if (!complete) wasi_io_error_error_drop_own(err.val.last_operation_failed);
      break;
    }
    bool taken = sink(ctx, piece.ptr, piece.len);
    proxy_list_u8_free(&piece);
    if (!taken) {
      complete = false;
      break;
    }
  }
  wasi_io_streams_input_stream_drop_own(stream);
  wasi_http_types_incoming_body_drop_own(body);
  return complete;
}

// Reads the request body as it arrives (see read_incoming_body).
static bool read_body(exchange_t *x, sink_t sink, void *ctx) {
  wasi_http_types_own_incoming_body_t body;
  if (!wasi_http_types_method_incoming_request_consume(x->request, &body)) return false;
  return read_incoming_body(body, sink, ctx);
}

// The values of header `name` in `headers` (consumed), in order.
static wasi_http_types_list_field_value_t header_values(fields_t headers, const char *name) {
  wasi_http_types_field_name_t n = {(uint8_t *)name, strlen(name)};
  wasi_http_types_list_field_value_t values;
  wasi_http_types_method_fields_get(wasi_http_types_borrow_fields(headers), &n, &values);
  wasi_http_types_fields_drop_own(headers);
  return values;
}

// Adds the first of `values` (freed) to `headers` as `name`, if there is one.
static void copy_first_value(fields_t headers, const char *name, wasi_http_types_list_field_value_t *values) {
  if (values->len) add_header(headers, name, values->ptr[0].ptr, values->ptr[0].len);
  wasi_http_types_list_field_value_free(values);
}

static void hello(exchange_t *x) {
  reply_text(x, 200, "hello, world\n");
}

static void foo(exchange_t *x) {
  if (!stored.set) {
    reply_text(x, 404, "key not found\n");
    return;
  }
  reply_bytes(x, 200, wasi_http_types_constructor_fields(), stored.bytes, stored.len);
}

// Appends a piece of the body to a growing buffer.
typedef struct {
  uint8_t *bytes;
  size_t len;
} buffer_t;

static bool append(void *ctx, const uint8_t *bytes, size_t len) {
  buffer_t *buffer = ctx;
  uint8_t *grown = realloc(buffer->bytes, buffer->len + len);
  if (!grown && buffer->len + len > 0) return false;
  if (len) memcpy(grown + buffer->len, bytes, len);
  buffer->bytes = grown;
  buffer->len += len;
  return true;
}

static void bar(exchange_t *x) {
  buffer_t value = {NULL, 0};
  if (!read_body(x, append, &value)) {
    free(value.bytes);
    reply_text(x, 400, "cannot read the request body\n");
    return;
  }
  free(stored.bytes);
  stored.set = true;
  stored.bytes = value.bytes;
  stored.len = value.len;
  reply_bytes(x, 200, wasi_http_types_constructor_fields(), NULL, 0);
}

static bool send_piece(void *ctx, const uint8_t *bytes, size_t len) {
  return write_body(ctx, bytes, len);
}

// The response starts before the request body is read; each piece goes out as it comes in.
static void echo(exchange_t *x) {
  fields_t headers = wasi_http_types_constructor_fields();
  wasi_http_types_list_field_value_t types = header_values(wasi_http_types_method_incoming_request_headers(x->request), "content-type");
  copy_first_value(headers, "content-type", &types);
  reply_t reply = start_reply(x, 200, headers);
  end_reply(&reply, read_body(x, send_piece, &reply));
}

// The request's headers as `name: value` lines, in the order the runtime hands them over.
static void headers(exchange_t *x) {
  fields_t fields = wasi_http_types_method_incoming_request_headers(x->request);
  wasi_http_types_list_tuple2_field_name_field_value_t entries;
  wasi_http_types_method_fields_entries(wasi_http_types_borrow_fields(fields), &entries);
  wasi_http_types_fields_drop_own(fields);
  buffer_t listing = {NULL, 0};
  for (size_t i = 0; i < entries.len; i++) {
    append(&listing, entries.ptr[i].f0.ptr, entries.ptr[i].f0.len);
    append(&listing, (const uint8_t *)": ", 2);
    append(&listing, entries.ptr[i].f1.ptr, entries.ptr[i].f1.len);
    append(&listing, (const uint8_t *)"\n", 1);
  }
  wasi_http_types_list_tuple2_field_name_field_value_free(&entries);
  fields_t out = wasi_http_types_constructor_fields();
  add_text_header(out, "content-type", TEXT);
  // One name, two values: two header lines.
  add_text_header(out, "x-repeat", "one");
  add_text_header(out, "x-repeat", "two");
  reply_bytes(x, 200, out, listing.bytes, listing.len);
  free(listing.bytes);
}

// wasi:http error-code case names, by tag.
static const char *const error_names[] = {
    "DNS-timeout", "DNS-error", "destination-not-found", "destination-unavailable", "destination-IP-prohibited",
    "destination-IP-unroutable", "connection-refused", "connection-terminated", "connection-timeout",
    "connection-read-timeout", "connection-write-timeout", "connection-limit-reached", "TLS-protocol-error",
    "TLS-certificate-error", "TLS-alert-received", "HTTP-request-denied", "HTTP-request-length-required",
    "HTTP-request-body-size", "HTTP-request-method-invalid", "HTTP-request-URI-invalid", "HTTP-request-URI-too-long",
    "HTTP-request-header-section-size", "HTTP-request-header-size", "HTTP-request-trailer-section-size",
    "HTTP-request-trailer-size", "HTTP-response-incomplete", "HTTP-response-header-section-size",
    "HTTP-response-header-size", "HTTP-response-body-size", "HTTP-response-trailer-section-size",
    "HTTP-response-trailer-size", "HTTP-response-transfer-coding", "HTTP-response-content-coding",
    "HTTP-response-timeout", "HTTP-upgrade-failed", "HTTP-protocol-error", "loop-detected", "configuration-error",
    "internal-error"};

// A failed fetch: 502 with the error-code's name, and internal-error's message (`err` is freed).
static void reply_fetch_error(exchange_t *x, wasi_http_types_error_code_t *err) {
  const char *name = err->tag < sizeof error_names / sizeof error_names[0] ? error_names[err->tag] : "unknown";
  proxy_option_string_t message = {0};
  if (err->tag == WASI_HTTP_TYPES_ERROR_CODE_INTERNAL_ERROR) message = err->val.internal_error;
  char text[512];
  snprintf(text, sizeof text, message.is_some ? "%s: %.*s\n" : "%s\n", name, (int)message.val.len, (const char *)message.val.ptr);
  wasi_http_types_error_code_free(err);
  reply_text(x, 502, text);
}

// Sends a GET for `url` (`http[s]://authority[/path]`) and waits for its response.
static bool send_get(const uint8_t *url, size_t len, wasi_http_types_own_incoming_response_t *response,
                     wasi_http_types_error_code_t *err) {
  wasi_http_types_scheme_t scheme = {.tag = WASI_HTTP_TYPES_SCHEME_HTTP};
  size_t at = 0;
  if (len >= 7 && memcmp(url, "http://", 7) == 0) {
    at = 7;
  } else if (len >= 8 && memcmp(url, "https://", 8) == 0) {
    scheme.tag = WASI_HTTP_TYPES_SCHEME_HTTPS;
    at = 8;
  } else {
    err->tag = WASI_HTTP_TYPES_ERROR_CODE_HTTP_REQUEST_URI_INVALID;
    return false;
  }
  size_t path_at = at;
  while (path_at < len && url[path_at] != '/') path_at++;
  proxy_string_t authority = {(uint8_t *)url + at, path_at - at};
  proxy_string_t path = path_at < len ? (proxy_string_t){(uint8_t *)url + path_at, len - path_at} : (proxy_string_t){(uint8_t *)"/", 1};

  wasi_http_types_own_outgoing_request_t request = wasi_http_types_constructor_outgoing_request(wasi_http_types_constructor_fields());
  wasi_http_types_borrow_outgoing_request_t borrowed = wasi_http_types_borrow_outgoing_request(request);
  if (!wasi_http_types_method_outgoing_request_set_scheme(borrowed, &scheme) ||
      !wasi_http_types_method_outgoing_request_set_authority(borrowed, &authority) ||
      !wasi_http_types_method_outgoing_request_set_path_with_query(borrowed, &path)) {
    wasi_http_types_outgoing_request_drop_own(request);
    err->tag = WASI_HTTP_TYPES_ERROR_CODE_HTTP_REQUEST_URI_INVALID;
    return false;
  }
  wasi_http_types_own_future_incoming_response_t future;
  if (!wasi_http_outgoing_handler_handle(request, NULL, &future, err)) return false;
  wasi_http_types_borrow_future_incoming_response_t borrowed_future = wasi_http_types_borrow_future_incoming_response(future);
  wasi_http_types_own_pollable_t ready = wasi_http_types_method_future_incoming_response_subscribe(borrowed_future);
  wasi_io_poll_method_pollable_block(wasi_io_poll_borrow_pollable(ready));
  wasi_io_poll_pollable_drop_own(ready);
  wasi_http_types_result_result_own_incoming_response_error_code_void_t result;
  // After `block`, the response is there: some(ok(...)) the first time it is asked for.
  if (!wasi_http_types_method_future_incoming_response_get(borrowed_future, &result) || result.is_err) __builtin_trap();
  wasi_http_types_future_incoming_response_drop_own(future);
  if (result.val.ok.is_err) {
    *err = result.val.ok.val.err;
    return false;
  }
  *response = result.val.ok.val.ok;
  return true;
}

// GET /fetch?url=http://host[:port]/path: fetches the URL (the rest of the query, as it is) and
// answers with its status, content-type and body; a failure is 502 naming the error-code.
static void fetch(exchange_t *x) {
  proxy_string_t target = {NULL, 0};
  wasi_http_types_method_incoming_request_path_with_query(x->request, &target);
  const uint8_t *query = memchr(target.ptr, '?', target.len);
  size_t query_len = query ? target.len - (size_t)(query + 1 - target.ptr) : 0;
  if (query_len < 4 || memcmp(query + 1, "url=", 4) != 0) {
    proxy_string_free(&target);
    reply_text(x, 400, "usage: /fetch?url=http://host[:port]/path\n");
    return;
  }
  wasi_http_types_own_incoming_response_t response;
  wasi_http_types_error_code_t err;
  bool sent = send_get(query + 5, query_len - 4, &response, &err);
  proxy_string_free(&target);
  if (!sent) {
    reply_fetch_error(x, &err);
    return;
  }
  wasi_http_types_borrow_incoming_response_t borrowed = wasi_http_types_borrow_incoming_response(response);
  uint16_t status = wasi_http_types_method_incoming_response_status(borrowed);
  fields_t headers = wasi_http_types_constructor_fields();
  wasi_http_types_list_field_value_t types = header_values(wasi_http_types_method_incoming_response_headers(borrowed), "content-type");
  copy_first_value(headers, "content-type", &types);
  buffer_t body = {NULL, 0};
  wasi_http_types_own_incoming_body_t incoming;
  bool complete = wasi_http_types_method_incoming_response_consume(borrowed, &incoming) && read_incoming_body(incoming, append, &body);
  wasi_http_types_incoming_response_drop_own(response);
  if (!complete) {
    wasi_http_types_fields_drop_own(headers);
    free(body.bytes);
    reply_text(x, 502, "cannot read the fetched body\n");
    return;
  }
  reply_bytes(x, status, headers, body.bytes, body.len);
  free(body.bytes);
}

static void trap(exchange_t *x) {
  (void)x;
  fprintf(stderr, "GET /trap: trapping on purpose\n");
  fflush(stderr);
  __builtin_trap();
}

typedef struct {
  const char *path;
  // GET routes answer HEAD too.
  uint8_t method;
  const char *allow;
  void (*handle)(exchange_t *x);
} route_t;

static const route_t routes[] = {
    {"/hello", WASI_HTTP_TYPES_METHOD_GET, "GET, HEAD", hello},
    {"/foo", WASI_HTTP_TYPES_METHOD_GET, "GET, HEAD", foo},
    {"/bar", WASI_HTTP_TYPES_METHOD_PUT, "PUT", bar},
    {"/echo", WASI_HTTP_TYPES_METHOD_POST, "POST", echo},
    {"/headers", WASI_HTTP_TYPES_METHOD_GET, "GET, HEAD", headers},
    {"/trap", WASI_HTTP_TYPES_METHOD_GET, "GET, HEAD", trap},
    {"/fetch", WASI_HTTP_TYPES_METHOD_GET, "GET, HEAD", fetch},
};

static void dispatch(exchange_t *x, const uint8_t *path, size_t len, uint8_t method) {
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    const route_t *route = &routes[i];
    if (strlen(route->path) != len || memcmp(route->path, path, len) != 0) continue;
    if (route->method == method) {
      route->handle(x);
      return;
    }
    fields_t headers = wasi_http_types_constructor_fields();
    add_text_header(headers, "content-type", TEXT);
    add_text_header(headers, "allow", route->allow);
    const char *text = "Method Not Allowed\n";
    reply_bytes(x, 405, headers, (const uint8_t *)text, strlen(text));
    return;
  }
  reply_text(x, 404, "Not Found\n");
}

// Method names by wasi:http method tag; `other` carries its own.
static const char *const method_names[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};

void exports_wasi_http_incoming_handler_handle(exports_wasi_http_incoming_handler_own_incoming_request_t request,
                                               exports_wasi_http_incoming_handler_own_response_outparam_t response_out) {
  exchange_t x = {.request = wasi_http_types_borrow_incoming_request(request), .outparam = response_out};
  wasi_http_types_method_t method;
  wasi_http_types_method_incoming_request_method(x.request, &method);
  x.head = method.tag == WASI_HTTP_TYPES_METHOD_HEAD;

  proxy_string_t target = {NULL, 0};
  wasi_http_types_method_incoming_request_path_with_query(x.request, &target);
  // The route is the path without the query.
  size_t path_len = 0;
  while (path_len < target.len && target.ptr[path_len] != '?') path_len++;
  dispatch(&x, target.ptr, path_len, x.head ? WASI_HTTP_TYPES_METHOD_GET : method.tag);

  // A line on stderr for each request answered with an error: through wasi-libc's stdio and the
  // preview1 adapter, so the component also uses wasi:cli's std streams. Not for every request:
  // the core-module demo logs none, and the two are compared request for request (bench/).
  bool other = method.tag == WASI_HTTP_TYPES_METHOD_OTHER;
  if (x.status >= 400)
    fprintf(stderr, "%.*s %.*s %u\n", other ? (int)method.val.other.len : (int)strlen(method_names[method.tag]),
          other ? (const char *)method.val.other.ptr : method_names[method.tag], (int)target.len,
          (const char *)target.ptr, x.status);
  wasi_http_types_method_free(&method);
  proxy_string_free(&target);
  wasi_http_types_incoming_request_drop_own(request);
}
