/* crash_app: the app of bench_crash_restart. Each run appends one line to the file named by its
 * first argument, "<start> <end>\n": CLOCK_MONOTONIC nanoseconds at the start of main and just
 * before it exits with a crash status (exit code 3). The time from one run's end to the next run's
 * start is the restart gap. One write to an O_APPEND file: lines of consecutive runs never mix.
 * Plain C with only libc: its own start-up adds as little as possible to the gap. */
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static long long monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

int main(int argc, char** argv) {
  const long long start = monotonic_ns();
  if (argc < 2) {
    fprintf(stderr, "usage: crash_app FILE\n");
    return 2;
  }
  const int fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    perror(argv[1]);
    return 2;
  }
  char line[64];
  const int length = snprintf(line, sizeof line, "%lld %lld\n", start, monotonic_ns());
  if (write(fd, line, (size_t)length) != length) return 2;
  _exit(3);
}
