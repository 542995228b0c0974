//! The seed's http-server-demo as a `wasi:http/proxy` component, written with wstd's HTTP server;
//! the same routes and answers as examples/http-component-c (README.md says where they differ).

use std::sync::Mutex;
use wstd::http::body::Bytes;
use wstd::http::{Body, Error, HeaderValue, Method, Request, Response, StatusCode};

/// What `PUT /bar` stored, for `GET /foo`. Instance memory only (wasi:keyvalue comes later), and
/// `wasmtime serve` makes a fresh instance per request, so there /foo never sees it.
static VALUE: Mutex<Option<Bytes>> = Mutex::new(None);

const TEXT: &str = "text/plain; charset=utf-8";

#[wstd::http_server]
async fn main(request: Request<Body>) -> Result<Response<Body>, Error> {
    // HEAD answers what GET would, without the body.
    let head = request.method() == Method::HEAD;
    let method = if head { Method::GET } else { request.method().clone() };
    // For the access line, as the C component writes it.
    let line = format!("{} {}", request.method(), request.uri().path_and_query().map_or("", |p| p.as_str()));
    let response = match (request.uri().path(), method) {
        ("/hello", Method::GET) => text(StatusCode::OK, "hello, world\n"),
        ("/foo", Method::GET) => foo(),
        ("/bar", Method::PUT) => bar(request).await?,
        ("/echo", Method::POST) => echo(request),
        ("/headers", Method::GET) => headers(&request),
        // The guest's own trap, as C's __builtin_trap(): no panic message, no unwinding.
        ("/trap", Method::GET) => {
            eprintln!("GET /trap: trapping on purpose");
            core::arch::wasm32::unreachable()
        }
        (path, _) => match allowed(path) {
            Some(allow) => {
                let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed\n");
                response.headers_mut().insert("allow", HeaderValue::from_static(allow));
                response
            }
            None => text(StatusCode::NOT_FOUND, "Not Found\n"),
        },
    };
    // Errors only, as the C component (and the core-module demo, which logs none).
    if response.status().as_u16() >= 400 {
        eprintln!("{line} {}", response.status().as_u16());
    }
    Ok(if head { response.map(|_| Body::empty()) } else { response })
}

/// The methods a known path answers, for the `allow` header of a 405.
fn allowed(path: &str) -> Option<&'static str> {
    match path {
        "/hello" | "/foo" | "/headers" | "/trap" => Some("GET, HEAD"),
        "/bar" => Some("PUT"),
        "/echo" => Some("POST"),
        _ => None,
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert("content-type", HeaderValue::from_static(TEXT));
    response
}

fn foo() -> Response<Body> {
    match VALUE.lock().unwrap().clone() {
        Some(value) => Response::new(Body::from(value)),
        None => text(StatusCode::NOT_FOUND, "key not found\n"),
    }
}

async fn bar(request: Request<Body>) -> Result<Response<Body>, Error> {
    let value = request.into_body().bytes_contents().await?;
    *VALUE.lock().unwrap() = Some(value);
    Ok(Response::new(Body::empty()))
}

/// The request body streams back as it arrives (wstd splices the two streams), with its content-type.
fn echo(request: Request<Body>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let mut response = Response::new(body);
    if let Some(content_type) = parts.headers.get("content-type") {
        response.headers_mut().insert("content-type", content_type.clone());
    }
    response
}

/// The request's headers, one `name: value` line each, and a response header given twice.
fn headers(request: &Request<Body>) -> Response<Body> {
    // http::HeaderMap groups the values of a name together: repeated names come out side by
    // side, not interleaved with others as they arrived.
    let mut listing = Vec::new();
    for (name, value) in request.headers() {
        listing.extend_from_slice(name.as_str().as_bytes());
        listing.extend_from_slice(b": ");
        listing.extend_from_slice(value.as_bytes());
        listing.push(b'\n');
    }
    let mut response = Response::new(Body::from(listing));
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static(TEXT));
    headers.append("x-repeat", HeaderValue::from_static("one"));
    headers.append("x-repeat", HeaderValue::from_static("two"));
    response
}
