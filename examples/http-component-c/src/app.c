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

// Reads the request body as it arrives, handing each piece to `sink`, which returns false to stop.
// True when the whole body was read and taken.
static bool read_body(exchange_t *x, bool (*sink)(void *ctx, const uint8_t *bytes, size_t len), void *ctx) {
  wasi_http_types_own_incoming_body_t body;
  if (!wasi_http_types_method_incoming_request_consume(x->request, &body)) return false;
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

// The values of header `name` in the request, in order.
static wasi_http_types_list_field_value_t request_header(exchange_t *x, const char *name) {
  fields_t headers = wasi_http_types_method_incoming_request_headers(x->request);
  wasi_http_types_field_name_t n = {(uint8_t *)name, strlen(name)};
  wasi_http_types_list_field_value_t values;
  wasi_http_types_method_fields_get(wasi_http_types_borrow_fields(headers), &n, &values);
  wasi_http_types_fields_drop_own(headers);
  return values;
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
  wasi_http_types_list_field_value_t types = request_header(x, "content-type");
  if (types.len) add_header(headers, "content-type", types.ptr[0].ptr, types.ptr[0].len);
  wasi_http_types_list_field_value_free(&types);
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

static void trap(exchange_t *x) {
  (void)x;
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

  // An access log line on stderr: through wasi-libc's stdio and the preview1 adapter, so the
  // component also exercises wasi:cli's std streams.
  bool other = method.tag == WASI_HTTP_TYPES_METHOD_OTHER;
  fprintf(stderr, "%.*s %.*s %u\n", other ? (int)method.val.other.len : (int)strlen(method_names[method.tag]),
          other ? (const char *)method.val.other.ptr : method_names[method.tag], (int)target.len,
          (const char *)target.ptr, x.status);
  wasi_http_types_method_free(&method);
  proxy_string_free(&target);
  wasi_http_types_incoming_request_drop_own(request);
}
