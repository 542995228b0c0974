;; A guest that misbehaves on purpose (written from docs/ABI.md), for
;; tests/hostile.rs. Routes:
;;   GET /hello      200 "hello, world"
;;   GET /loop       loops forever
;;   GET /grow       grows memory a page at a time until refused, then
;;                   answers 200 with the page count (u32 LE) as its body
;;   GET /grow-trap  the same, then traps
;;   GET /recurse    recurses without end (large frames)
;;   GET /headers    answers 1024 headers whose names and values all alias
;;                   one 64 KiB string: 128 MiB once lifted by the host
;; cabi_realloc is a bump allocator, except that it loops forever when
;; asked for 777 bytes and returns an out-of-bounds pointer for 666.
;; init calls $init_hook first, which the tests patch to misbehave.
(module
  (import "spiderlightning:slight/http-server" "[static]router.new" (func $router_new (param i32)))
  (import "spiderlightning:slight/http-server" "[method]router.get" (func $router_get (param i32 i32 i32 i32 i32 i32)))
  (import "spiderlightning:slight/http-server" "[static]server.serve" (func $serve (param i32 i32 i32 i32)))
  (import "spiderlightning:slight/http-server" "[resource-drop]router" (func $router_drop (param i32)))

  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))

  (data (i32.const 16) "/hello")
  (data (i32.const 32) "handle-hello")
  (data (i32.const 48) "/loop")
  (data (i32.const 64) "loop")
  (data (i32.const 80) "/grow")
  (data (i32.const 96) "grow")
  (data (i32.const 112) "/grow-trap")
  (data (i32.const 128) "grow-trap")
  (data (i32.const 144) "/recurse")
  (data (i32.const 160) "recurse")
  (data (i32.const 176) "0.0.0.0:3000")
  (data (i32.const 192) "hello, world")
  (data (i32.const 208) "/headers")
  (data (i32.const 224) "headers")
  ;; 512: the 16-byte return area of imports.
  ;; 544: the 32-byte return area of exports.
  ;; 600: the body of /grow.

  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32)
    (if (i32.eq (local.get $size) (i32.const 777))
      (then (loop $forever (br $forever))))
    (if (i32.eq (local.get $size) (i32.const 666))
      (then (return (i32.const 0xfffffff0))))
    (local.set $ptr
      (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
               (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq (memory.grow (i32.add (i32.shr_u (global.get $heap) (i32.const 16)) (i32.const 1))) (i32.const -1))
          (then unreachable))))
    (local.get $ptr))

  (func $init_hook)

  ;; Traps init if the import result at 512 is err.
  (func $check
    (if (i32.load8_u (i32.const 512)) (then unreachable)))

  (func $route (param $router i32) (param $path i32) (param $path_len i32) (param $handler i32) (param $handler_len i32)
    (call $router_get (local.get $router) (local.get $path) (local.get $path_len)
      (local.get $handler) (local.get $handler_len) (i32.const 512))
    (call $check))

  (func (export "init") (result i32)
    (local $router i32)
    (call $init_hook)
    (call $router_new (i32.const 512))
    (call $check)
    (local.set $router (i32.load (i32.const 516)))
    (call $route (local.get $router) (i32.const 16) (i32.const 6) (i32.const 32) (i32.const 12))
    (call $route (local.get $router) (i32.const 48) (i32.const 5) (i32.const 64) (i32.const 4))
    (call $route (local.get $router) (i32.const 80) (i32.const 5) (i32.const 96) (i32.const 4))
    (call $route (local.get $router) (i32.const 112) (i32.const 10) (i32.const 128) (i32.const 9))
    (call $route (local.get $router) (i32.const 144) (i32.const 8) (i32.const 160) (i32.const 7))
    (call $route (local.get $router) (i32.const 208) (i32.const 8) (i32.const 224) (i32.const 7))
    (call $serve (i32.const 176) (i32.const 12) (local.get $router) (i32.const 512))
    (call $check)
    (call $router_drop (local.get $router))
    (i32.store8 (i32.const 544) (i32.const 0))
    (i32.const 544))

  ;; ok(response { status, headers: none, body: some(ptr, len) })
  (func $respond (param $status i32) (param $ptr i32) (param $len i32) (result i32)
    (i32.store8 (i32.const 544) (i32.const 0))
    (i32.store16 (i32.const 548) (local.get $status))
    (i32.store8 (i32.const 552) (i32.const 0))
    (i32.store8 (i32.const 564) (i32.const 1))
    (i32.store (i32.const 568) (local.get $ptr))
    (i32.store (i32.const 572) (local.get $len))
    (i32.const 544))

  ;; Grows memory a page at a time until memory.grow refuses; the page count.
  (func $grow_all (result i32)
    (loop $more
      (br_if $more (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    (memory.size))

  (func (export "handle-hello") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (call $respond (i32.const 200) (i32.const 192) (i32.const 12)))

  (func (export "loop") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (loop $forever (br $forever))
    unreachable)

  (func (export "grow") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (i32.store (i32.const 600) (call $grow_all))
    (call $respond (i32.const 200) (i32.const 600) (i32.const 4)))

  (func (export "grow-trap") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (drop (call $grow_all))
    unreachable)

  ;; Two fresh pages: the header list at 64 KiB, 1024 pairs that each
  ;; name the third page (zeros, so valid UTF-8) as name and value.
  (func (export "headers") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (local $at i32)
    (if (i32.eq (memory.grow (i32.const 2)) (i32.const -1)) (then unreachable))
    (local.set $at (i32.const 65536))
    (loop $pairs
      (i32.store (local.get $at) (i32.const 131072))
      (i32.store offset=4 (local.get $at) (i32.const 65536))
      (i32.store offset=8 (local.get $at) (i32.const 131072))
      (i32.store offset=12 (local.get $at) (i32.const 65536))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (br_if $pairs (i32.lt_u (local.get $at) (i32.const 81920))))
    (i32.store8 (i32.const 544) (i32.const 0))
    (i32.store16 (i32.const 548) (i32.const 200))
    (i32.store8 (i32.const 552) (i32.const 1))
    (i32.store (i32.const 556) (i32.const 65536))
    (i32.store (i32.const 560) (i32.const 1024))
    (i32.store8 (i32.const 564) (i32.const 0))
    (i32.const 544))

  ;; Every frame holds 32 i64 locals, so the value stack fills as the call
  ;; stack grows.
  (func $down (param $n i64) (result i64)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64
           i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (i64.add (call $down (i64.add (local.get $n) (i64.const 1))) (local.get $n)))

  (func (export "recurse") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (drop (call $down (i64.const 0)))
    unreachable)
)
