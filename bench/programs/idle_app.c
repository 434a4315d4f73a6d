/* The app of the launch and footprint benchmarks: a real process that costs as little as one can
 * to start and to keep, so that the benchmarks measure the node, not the app. It sleeps until a
 * signal ends it (SIGTERM's default action, which is how the node kills it).
 *
 * On x86-64 Linux it is built without the C library (bench/CMakeLists.txt): a static libc still
 * runs its start-up code in every process (CPU feature and cache detection with cpuid, which
 * traps in a virtual machine, TLS, IRELATIVE relocations), about a millisecond of CPU per
 * process that a hundred launches on two cores would otherwise compete with. Elsewhere it is the
 * plain C version, linked statically. */
#if defined(__x86_64__) && defined(__linux__)

enum { kSysPause = 34 };

void _start(void) {
  for (;;) {
    long result;
    __asm__ volatile("syscall" : "=a"(result) : "a"(kSysPause) : "rcx", "r11", "memory");
    (void)result;
  }
}

#else

#include <unistd.h>

int main(void) {
  for (;;)
    pause();
}

#endif
