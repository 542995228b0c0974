// Prints the host's TSC frequency in kHz. Under TCG the guest's TSC is the host's, and Linux
// cannot calibrate it in a microvm (no HPET or PM timer, and its PIT calibration misses under
// TCG, after which the boot may hang): build.sh passes this value as `tsc_early_khz=`.
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC_RAW, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void) {
  double t0 = now();
  unsigned long long c0 = __rdtsc();
  struct timespec pause = {0, 200 * 1000 * 1000};
  nanosleep(&pause, NULL);
  double t1 = now();
  unsigned long long c1 = __rdtsc();
  printf("%.0f\n", (c1 - c0) / (t1 - t0) / 1000);
  return 0;
}
