;; A wasi:http/proxy component that misbehaves on purpose, for tests/components_hostile.rs and
;; test/e2e/components-faults.test.ts. It routes on the second byte of the path:
;;   /hello     200 "hello from a component\n"
;;   /count     200, the requests this instance has served (u32 LE): 1 on a fresh instance
;;   /trap      traps (unreachable)
;;   /spin      loops for ever
;;   /none      returns without setting a response
;;   /unfinished  sets a response whose body it never finishes
;;   /double    sets its response, then sets it again with the consumed outparam handle
;;   /xdropped  drops its outparam, then sets it
;;   /grow      grows memory a page at a time until refused, answers the page count (u32 LE)
;;   /oom       asks for 4 GiB of memory and, refused, traps (as malloc's abort would)
;;   /big       writes a 32 MiB list<u8> in one call (more than a lift may take)
;;   /leak      makes fields without end, never dropping one (the handle limit)
;;   /realloc   asks for its path again with a realloc that answers out of bounds
;;   /keep      keeps its outparam for later and returns without setting a response
;;   /answer-kept  sets the outparam /keep kept (an earlier request's) with a response
;;   /fat       makes one 100 KiB header ("aaa…"), then clones its fields without end
;; Imports are wasi 0.2.0 with the WIT's real types (error-code included); memory is one page at
;; first, a bump allocator from 0x1000 serves realloc and is reset by each request.
(component $C
  (import "wasi:io/error@0.2.0" (instance $io-error
    (export "error" (type (sub resource)))))
  (alias export $io-error "error" (type $error))
  (import "wasi:io/streams@0.2.0" (instance $streams
    (alias outer $C $error (type $err))
    (export "error" (type $e (eq $err)))
    (export "output-stream" (type $os (sub resource)))
    (type $own-e (own $e))
    (type $stream-error (variant (case "last-operation-failed" $own-e) (case "closed")))
    (export "stream-error" (type $se (eq $stream-error)))
    (export "[method]output-stream.blocking-write-and-flush"
      (func (param "self" (borrow $os)) (param "contents" (list u8)) (result (result (error $se)))))))
  (alias export $streams "output-stream" (type $output-stream))
  (import "wasi:http/types@0.2.0" (instance $types
    (export "fields" (type $fields (sub resource)))
    (export "incoming-request" (type $request (sub resource)))
    (export "outgoing-body" (type $body (sub resource)))
    (export "response-outparam" (type $outparam (sub resource)))
    (export "outgoing-response" (type $response (sub resource)))
    (alias outer $C $output-stream (type $os0))
    (export "output-stream" (type $os (eq $os0)))
    (type $header-error0 (variant (case "invalid-syntax") (case "forbidden") (case "immutable")))
    (export "header-error" (type $header-error (eq $header-error0)))
    (type $ostr (option string))
    (type $dns0 (record (field "rcode" $ostr) (field "info-code" (option u16))))
    (export "DNS-error-payload" (type $dns (eq $dns0)))
    (type $tls0 (record (field "alert-id" (option u8)) (field "alert-message" $ostr)))
    (export "TLS-alert-received-payload" (type $tls (eq $tls0)))
    (type $field-size0 (record (field "field-name" $ostr) (field "field-size" (option u32))))
    (export "field-size-payload" (type $field-size (eq $field-size0)))
    (type $error-code (variant (case "DNS-timeout") (case "DNS-error" $dns) (case "destination-not-found")
      (case "destination-unavailable") (case "destination-IP-prohibited") (case "destination-IP-unroutable")
      (case "connection-refused") (case "connection-terminated") (case "connection-timeout")
      (case "connection-read-timeout") (case "connection-write-timeout") (case "connection-limit-reached")
      (case "TLS-protocol-error") (case "TLS-certificate-error") (case "TLS-alert-received" $tls)
      (case "HTTP-request-denied") (case "HTTP-request-length-required") (case "HTTP-request-body-size" (option u64))
      (case "HTTP-request-method-invalid") (case "HTTP-request-URI-invalid") (case "HTTP-request-URI-too-long")
      (case "HTTP-request-header-section-size" (option u32)) (case "HTTP-request-header-size" (option $field-size))
      (case "HTTP-request-trailer-section-size" (option u32)) (case "HTTP-request-trailer-size" $field-size)
      (case "HTTP-response-incomplete") (case "HTTP-response-header-section-size" (option u32))
      (case "HTTP-response-header-size" $field-size) (case "HTTP-response-body-size" (option u64))
      (case "HTTP-response-trailer-section-size" (option u32)) (case "HTTP-response-trailer-size" $field-size)
      (case "HTTP-response-transfer-coding" $ostr) (case "HTTP-response-content-coding" $ostr)
      (case "HTTP-response-timeout") (case "HTTP-upgrade-failed") (case "HTTP-protocol-error")
      (case "loop-detected") (case "configuration-error") (case "internal-error" $ostr)))
    (export "error-code" (type $ec (eq $error-code)))
    (export "[constructor]fields" (func (result (own $fields))))
    (export "[method]fields.append" (func (param "self" (borrow $fields)) (param "name" string) (param "value" (list u8))
      (result (result (error $header-error)))))
    (export "[method]fields.clone" (func (param "self" (borrow $fields)) (result (own $fields))))
    (export "[method]incoming-request.path-with-query" (func (param "self" (borrow $request)) (result $ostr)))
    (export "[constructor]outgoing-response" (func (param "headers" (own $fields)) (result (own $response))))
    (export "[method]outgoing-response.set-status-code" (func (param "self" (borrow $response)) (param "status-code" u16) (result (result))))
    (export "[method]outgoing-response.body" (func (param "self" (borrow $response)) (result (result (own $body)))))
    (export "[method]outgoing-body.write" (func (param "self" (borrow $body)) (result (result (own $os)))))
    (export "[static]outgoing-body.finish" (func (param "this" (own $body)) (param "trailers" (option (own $fields)))
      (result (result (error $ec)))))
    (export "[static]response-outparam.set" (func (param "param" (own $outparam)) (param "response" (result (own $response) (error $ec)))))))
  (alias export $types "incoming-request" (type $incoming-request))
  (alias export $types "response-outparam" (type $response-outparam))

  (core module $libc
    (memory (export "memory") 1)
    (global $next (export "next") (mut i32) (i32.const 0x1000))
    (global $bad (export "bad") (mut i32) (i32.const 0))
    ;; A bump allocator; out of bounds while $bad is set.
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (local $p i32)
      global.get $bad
      if (result i32)
        i32.const 0xfffffff0
      else
        global.get $next local.get 2 i32.add i32.const 1 i32.sub
        i32.const 0 local.get 2 i32.sub i32.and
        local.tee $p local.get 3 i32.add global.set $next
        local.get $p
      end))
  (core instance $libc (instantiate $libc))
  (alias core export $libc "memory" (core memory $mem))
  (alias core export $libc "realloc" (core func $realloc))

  (alias export $streams "[method]output-stream.blocking-write-and-flush" (func $write-and-flush))
  (alias export $types "[constructor]fields" (func $fields-new))
  (alias export $types "[method]fields.append" (func $fields-append))
  (alias export $types "[method]fields.clone" (func $fields-clone))
  (alias export $types "[method]incoming-request.path-with-query" (func $path))
  (alias export $types "[constructor]outgoing-response" (func $response-new))
  (alias export $types "[method]outgoing-response.set-status-code" (func $set-status))
  (alias export $types "[method]outgoing-response.body" (func $response-body))
  (alias export $types "[method]outgoing-body.write" (func $body-write))
  (alias export $types "[static]outgoing-body.finish" (func $body-finish))
  (alias export $types "[static]response-outparam.set" (func $set))
  (core func $write-and-flush (canon lower (func $write-and-flush) (memory $mem)))
  (core func $fields-new (canon lower (func $fields-new)))
  (core func $fields-append (canon lower (func $fields-append) (memory $mem) string-encoding=utf8))
  (core func $fields-clone (canon lower (func $fields-clone)))
  (core func $path (canon lower (func $path) (memory $mem) (realloc $realloc) string-encoding=utf8))
  (core func $response-new (canon lower (func $response-new)))
  (core func $set-status (canon lower (func $set-status)))
  (core func $response-body (canon lower (func $response-body) (memory $mem)))
  (core func $body-write (canon lower (func $body-write) (memory $mem)))
  (core func $body-finish (canon lower (func $body-finish) (memory $mem) (realloc $realloc)))
  (core func $set (canon lower (func $set) (memory $mem)))
  (core func $drop-stream (canon resource.drop $output-stream))
  (core func $drop-outparam (canon resource.drop $response-outparam))
  (core instance $wasi
    (export "write-and-flush" (func $write-and-flush))
    (export "fields-new" (func $fields-new))
    (export "fields-append" (func $fields-append))
    (export "fields-clone" (func $fields-clone))
    (export "path" (func $path))
    (export "response-new" (func $response-new))
    (export "set-status" (func $set-status))
    (export "response-body" (func $response-body))
    (export "body-write" (func $body-write))
    (export "body-finish" (func $body-finish))
    (export "set" (func $set))
    (export "drop-stream" (func $drop-stream))
    (export "drop-outparam" (func $drop-outparam)))

  (core module $main
    (import "libc" "memory" (memory 1))
    (import "libc" "next" (global $next (mut i32)))
    (import "libc" "bad" (global $bad (mut i32)))
    (import "wasi" "write-and-flush" (func $write-and-flush (param i32 i32 i32 i32)))
    (import "wasi" "fields-new" (func $fields-new (result i32)))
    (import "wasi" "fields-append" (func $fields-append (param i32 i32 i32 i32 i32 i32)))
    (import "wasi" "fields-clone" (func $fields-clone (param i32) (result i32)))
    (import "wasi" "path" (func $path (param i32 i32)))
    (import "wasi" "response-new" (func $response-new (param i32) (result i32)))
    (import "wasi" "set-status" (func $set-status (param i32 i32) (result i32)))
    (import "wasi" "response-body" (func $response-body (param i32 i32)))
    (import "wasi" "body-write" (func $body-write (param i32 i32)))
    (import "wasi" "body-finish" (func $body-finish (param i32 i32 i32 i32)))
    (import "wasi" "set" (func $set (param i32 i32 i32 i32 i64 i32 i32 i32 i32)))
    (import "wasi" "drop-stream" (func $drop-stream (param i32)))
    (import "wasi" "drop-outparam" (func $drop-outparam (param i32)))

    ;; 0x100: return areas. 0x180: a body built on the fly. 0x200: texts.
    (data (i32.const 0x200) "hello from a component\n")
    (data (i32.const 0x220) "x-fat")
    ;; The outparam /keep kept (0: none), and the requests served.
    (global $kept (mut i32) (i32.const 0))
    (global $count (mut i32) (i32.const 0))

    ;; A response with status $status (its body not yet finished): the response and its body.
    (func $start (param $status i32) (result i32 i32) (local $response i32)
      call $fields-new call $response-new local.set $response
      local.get $response local.get $status call $set-status drop
      local.get $response i32.const 0x100 call $response-body
      local.get $response
      i32.const 0x104 i32.load)

    ;; Writes [$ptr, $ptr+$len) to $body through its stream.
    (func $write (param $body i32) (param $ptr i32) (param $len i32) (local $stream i32)
      local.get $body i32.const 0x100 call $body-write
      i32.const 0x104 i32.load local.set $stream
      local.get $stream local.get $ptr local.get $len i32.const 0x100 call $write-and-flush
      local.get $stream call $drop-stream)

    (func $set-ok (param $outparam i32) (param $response i32)
      local.get $outparam i32.const 0 local.get $response i32.const 0 i64.const 0
      i32.const 0 i32.const 0 i32.const 0 i32.const 0 call $set)

    (func $finish (param $body i32)
      local.get $body i32.const 0 i32.const 0 i32.const 0x100 call $body-finish)

    ;; A whole response: status, body bytes, finished.
    (func $reply (param $outparam i32) (param $status i32) (param $ptr i32) (param $len i32) (local $response i32) (local $body i32)
      local.get $status call $start local.set $body local.set $response
      local.get $body local.get $ptr local.get $len call $write
      local.get $outparam local.get $response call $set-ok
      local.get $body call $finish)

    ;; Grows memory a page at a time until refused.
    (func $grow-all
      loop
        i32.const 1 memory.grow i32.const -1 i32.ne br_if 0
      end)

    (func (export "handle") (param $request i32) (param $outparam i32) (local $route i32) (local $response i32) (local $body i32) (local $fields i32)
      i32.const 0x1000 global.set $next
      global.get $count i32.const 1 i32.add global.set $count
      ;; option<string> at 0x100: the case, then the string's pointer and length.
      local.get $request i32.const 0x100 call $path
      i32.const 0x108 i32.load i32.const 2 i32.ge_u
      if i32.const 0x104 i32.load i32.load8_u offset=1 local.set $route end

      block $done
        local.get $route i32.const 104 (; h ;) i32.eq if
          local.get $outparam i32.const 200 i32.const 0x200 i32.const 23 call $reply br $done end
        local.get $route i32.const 99 (; c ;) i32.eq if
          i32.const 0x180 global.get $count i32.store
          local.get $outparam i32.const 200 i32.const 0x180 i32.const 4 call $reply br $done end
        local.get $route i32.const 116 (; t ;) i32.eq if unreachable end
        local.get $route i32.const 115 (; s ;) i32.eq if loop br 0 end end
        local.get $route i32.const 110 (; n ;) i32.eq if br $done end
        local.get $route i32.const 117 (; u ;) i32.eq if
          i32.const 200 call $start local.set $body local.set $response
          local.get $body i32.const 0x200 i32.const 5 call $write
          local.get $outparam local.get $response call $set-ok br $done end
        local.get $route i32.const 100 (; d ;) i32.eq if
          local.get $outparam i32.const 200 i32.const 0x200 i32.const 23 call $reply
          local.get $outparam i32.const 201 i32.const 0x200 i32.const 23 call $reply br $done end
        local.get $route i32.const 120 (; x ;) i32.eq if
          i32.const 200 call $start local.set $body local.set $response
          local.get $outparam call $drop-outparam
          local.get $outparam local.get $response call $set-ok br $done end
        local.get $route i32.const 103 (; g ;) i32.eq if
          call $grow-all
          i32.const 0x180 memory.size i32.store
          local.get $outparam i32.const 200 i32.const 0x180 i32.const 4 call $reply br $done end
        local.get $route i32.const 111 (; o ;) i32.eq if
          i32.const 65535 memory.grow i32.const -1 i32.eq if unreachable end br $done end
        local.get $route i32.const 98 (; b ;) i32.eq if
          i32.const 200 call $start local.set $body local.set $response
          local.get $body i32.const 0 i32.const 0x2000000 call $write br $done end
        local.get $route i32.const 108 (; l ;) i32.eq if
          loop call $fields-new drop br 0 end end
        local.get $route i32.const 114 (; r ;) i32.eq if
          i32.const 1 global.set $bad
          local.get $request i32.const 0x100 call $path br $done end
        local.get $route i32.const 107 (; k ;) i32.eq if
          local.get $outparam global.set $kept br $done end
        local.get $route i32.const 97 (; a ;) i32.eq if
          global.get $kept i32.const 200 i32.const 0x200 i32.const 23 call $reply br $done end
        local.get $route i32.const 102 (; f ;) i32.eq if
          i32.const 2 memory.grow drop
          i32.const 0x10000 i32.const 97 (; a ;) i32.const 102400 memory.fill
          call $fields-new local.set $fields
          local.get $fields i32.const 0x220 i32.const 5 i32.const 0x10000 i32.const 102400 i32.const 0x100 call $fields-append
          loop local.get $fields call $fields-clone drop br 0 end end
        local.get $outparam i32.const 404 i32.const 0x200 i32.const 0 call $reply
      end))
  (core instance $main (instantiate $main (with "libc" (instance $libc)) (with "wasi" (instance $wasi))))
  (func $handle (param "request" (own $incoming-request)) (param "response-out" (own $response-outparam))
    (canon lift (core func $main "handle")))
  (instance $handler (export "handle" (func $handle)))
  (export "wasi:http/incoming-handler@0.2.0" (instance $handler)))
