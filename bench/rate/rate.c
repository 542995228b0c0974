// Open-loop, fixed-rate HTTP/1.1 load (wrk2 is not packaged in Debian).
//
//   rate PORT PATH RATE SECONDS CONNECTIONS
//
// Requests to 127.0.0.1:PORT are due at fixed times whether or not earlier ones were answered;
// a latency counts from when its request was due to its whole answer, so queueing behind a slow
// answer is measured, not hidden (no coordinated omission). Due requests wait in a queue until
// one of the keep-alive connections is free (one request in flight per connection).
//
// The generator sleeps between due times on a timerfd (timer slack 1 ns) instead of spinning:
// on a 2-core machine a spinning generator takes a whole core from the server under test.
// Prints one JSON line: requestsPerSec, p50Ms, p99Ms, errors, and lateMaxMs (how late the
// generator itself woke for a due time at worst, so a generator that fell behind is visible).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define BUFFER 65536
#define IDLE -1
#define CLOSING -2

struct conn {
  int fd;
  int64_t due; // ns; IDLE, or CLOSING after an answer with Connection: close
  size_t len;
  char buf[BUFFER];
};

static int port;
static char request[1024];
static size_t request_len;

static void die(const char *what) {
  fprintf(stderr, "rate: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int open_conn(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void watch(int epoll, int fd, void *ptr) {
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = ptr};
  if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
}

/// Length of the first whole answer in `c->buf`, 0 if incomplete; *ok is set when its status is 2xx.
static size_t whole_answer(const struct conn *c, int *ok, int *closes) {
  const char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
  if (!end) return 0;
  size_t head = (size_t)(end - c->buf) + 4;
  size_t body = 0;
  *closes = 0;
  for (const char *line = memchr(c->buf, '\n', head); line && line < end; line = memchr(line + 1, '\n', (size_t)(end - line))) {
    if (strncasecmp(line + 1, "content-length:", 15) == 0) body = strtoul(line + 16, NULL, 10);
    if (strncasecmp(line + 1, "connection: close", 17) == 0) *closes = 1;
  }
  if (c->len < head + body) return 0;
  *ok = c->len > 9 && strncmp(c->buf, "HTTP/1.", 7) == 0 && c->buf[9] == '2';
  return head + body;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static double percentile_ms(const int64_t *xs, size_t n, double p) {
  if (n == 0) return -1;
  // Nearest rank, as bench/lib.ts `percentile`.
  size_t rank = (size_t)ceil(p / 100.0 * (double)n);
  return (double)xs[rank == 0 ? 0 : rank - 1] / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: rate PORT PATH RATE SECONDS CONNECTIONS\n");
    return 2;
  }
  port = atoi(argv[1]);
  const char *path = argv[2];
  double rate = atof(argv[3]), seconds = atof(argv[4]);
  int connections = atoi(argv[5]);
  if (port <= 0 || rate <= 0 || seconds <= 0 || connections <= 0 || path[0] != '/') {
    fprintf(stderr, "rate: bad arguments\n");
    return 2;
  }
  request_len = (size_t)snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", path, port);
  prctl(PR_SET_TIMERSLACK, 1UL);

  size_t total = (size_t)(rate * seconds + 0.5);
  int64_t *queue = malloc(total * sizeof *queue), *latencies = malloc(total * sizeof *latencies);
  struct conn *conns = calloc((size_t)connections, sizeof *conns);
  if (!queue || !latencies || !conns) die("malloc");
  int epoll = epoll_create1(0);
  if (epoll < 0) die("epoll_create1");
  for (int i = 0; i < connections; i++) {
    conns[i].fd = open_conn();
    conns[i].due = IDLE;
    watch(epoll, conns[i].fd, &conns[i]);
  }
  int timer = timerfd_create(CLOCK_MONOTONIC, 0);
  if (timer < 0) die("timerfd_create");
  watch(epoll, timer, NULL);

  // The clock starts once every connection is up (QEMU's port forwarding has a backlog of 1).
  int64_t t0 = now_ns() + 10000000, late_max = 0, deadline = t0 + (int64_t)((seconds + 5) * 1e9);
  size_t scheduled = 0, head = 0, tail = 0, answered = 0, errors = 0;
#define DUE(i) (t0 + (int64_t)((double)(i) * 1e9 / rate))
  for (;;) {
    int64_t now = now_ns();
    if (scheduled < total && DUE(scheduled) <= now && now - DUE(scheduled) > late_max) late_max = now - DUE(scheduled);
    while (scheduled < total && DUE(scheduled) <= now) queue[tail++] = DUE(scheduled++);
    for (int i = 0; i < connections && head < tail; i++) {
      if (conns[i].due != IDLE) continue;
      conns[i].due = queue[head++];
      if (write(conns[i].fd, request, request_len) != (ssize_t)request_len) die("write");
    }
    if (answered + errors == total || now > deadline) break;
    int64_t wake = scheduled < total ? DUE(scheduled) : deadline;
    struct itimerspec at = {.it_value = {.tv_sec = wake / 1000000000, .tv_nsec = wake % 1000000000}};
    timerfd_settime(timer, TFD_TIMER_ABSTIME, &at, NULL);
    struct epoll_event events[64];
    int n = epoll_wait(epoll, events, 64, -1);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int e = 0; e < n; e++) {
      struct conn *c = events[e].data.ptr;
      if (!c) {
        uint64_t expirations;
        if (read(timer, &expirations, sizeof expirations) < 0 && errno != EAGAIN) die("read timerfd");
        continue;
      }
      ssize_t got = read(c->fd, c->buf + c->len, BUFFER - c->len);
      if (got <= 0) {
        // The server closed (its limits, or Connection: close): the answer in flight is lost.
        if (c->due >= 0) errors++;
        epoll_ctl(epoll, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        c->fd = open_conn();
        c->len = 0;
        c->due = IDLE;
        watch(epoll, c->fd, c);
        continue;
      }
      c->len += (size_t)got;
      int ok = 0, closes = 0;
      size_t used = whole_answer(c, &ok, &closes);
      if (used == 0 || c->due < 0) continue;
      int64_t done = now_ns();
      if (ok) latencies[answered++] = done - c->due;
      else errors++;
      memmove(c->buf, c->buf + used, c->len - used);
      c->len -= used;
      // After Connection: close, the read of 0 bytes that follows reconnects.
      c->due = closes ? CLOSING : IDLE;
    }
  }
  errors = total - answered; // non-2xx, lost with a closed connection, or never answered
  qsort(latencies, answered, sizeof *latencies, cmp_i64);
  printf("{\"requestsPerSec\":%.1f,\"p50Ms\":%.4f,\"p99Ms\":%.4f,\"errors\":%zu,\"lateMaxMs\":%.4f}\n",
         (double)answered / seconds, percentile_ms(latencies, answered, 50), percentile_ms(latencies, answered, 99), errors,
         (double)late_max / 1e6);
  return 0;
}
