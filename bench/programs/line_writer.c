/* line_writer: the app of bench_log_follow, which writes lines of 100 bytes to its stdout.
 *
 *   line_writer GO_FILE RESULT_FILE LINES RATE
 *
 * It writes "ready\n" first, then waits (at most 60 s) for GO_FILE to exist and removes it, so
 * that the benchmark starts the clock only once whoever reads the lines is listening, and the next
 * run can wait for the same file. Then LINES lines: with RATE > 0 paced at RATE lines/s, each
 * "<seq> <CLOCK_MONOTONIC ns at its write> ...", all that are due written at once every
 * millisecond (as an app's buffered output goes out); with RATE 0 as fast as it can, in writes of
 * 64 KiB or so (655 lines). Then one line "<lines> <bytes> <ns from first write to last>"
 * appended to RESULT_FILE, the app's own throughput, and last "END\n": once END is read or
 * logged, the result is there. Plain C with only libc. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { kLineBytes = 100, kFloodLinesPerWrite = 655 };

static long long monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)now.tv_sec * 1000000000LL + now.tv_nsec;
}

static int write_all(const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = write(1, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    data += n;
    size -= (size_t)n;
  }
  return 0;
}

/* One line of exactly kLineBytes: seq and time, then dots. */
static void format_line(char* line, long long seq, long long ns) {
  const int used = snprintf(line, kLineBytes, "%010lld %019lld ", seq, ns);
  memset(line + used, '.', kLineBytes - 1 - (size_t)used);
  line[kLineBytes - 1] = '\n';
}

static int wait_for_go(const char* go_file) {
  const struct timespec millisecond = {0, 1000000};
  for (int i = 0; i < 60000; ++i) {
    struct stat info;
    if (stat(go_file, &info) == 0) return unlink(go_file);
    nanosleep(&millisecond, NULL);
  }
  return -1;
}

static int paced(long long lines, long long rate, long long* bytes) {
  static char batch[kLineBytes * 4096];
  const long long start = monotonic_ns();
  long long seq = 0;
  while (seq < lines) {
    const long long now = monotonic_ns();
    long long due = (now - start) * rate / 1000000000LL + 1;
    if (due > lines) due = lines;
    if (due - seq > (long long)(sizeof batch / kLineBytes)) due = seq + sizeof batch / kLineBytes;
    if (due > seq) {
      size_t used = 0;
      const long long stamp = monotonic_ns();
      for (; seq < due; ++seq, used += kLineBytes)
        format_line(batch + used, seq, stamp);
      if (write_all(batch, used) != 0) return -1;
      *bytes += (long long)used;
    }
    /* Sleep until the next millisecond boundary since the start. */
    const long long next = start + ((monotonic_ns() - start) / 1000000 + 1) * 1000000;
    const struct timespec until = {next / 1000000000LL, next % 1000000000LL};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
  }
  return 0;
}

static int flood(long long lines, long long* bytes) {
  static char batch[kLineBytes * kFloodLinesPerWrite];
  for (int i = 0; i < kFloodLinesPerWrite; ++i)
    format_line(batch + i * kLineBytes, i, 0);
  for (long long left = lines; left > 0;) {
    const long long now = left < kFloodLinesPerWrite ? left : kFloodLinesPerWrite;
    if (write_all(batch, (size_t)(now * kLineBytes)) != 0) return -1;
    *bytes += now * kLineBytes;
    left -= now;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: line_writer GO_FILE RESULT_FILE LINES RATE\n");
    return 2;
  }
  const long long lines = atoll(argv[3]);
  const long long rate = atoll(argv[4]);
  if (write_all("ready\n", 6) != 0) return 1;
  if (wait_for_go(argv[1]) != 0) {
    fprintf(stderr, "line_writer: no %s within 60 s\n", argv[1]);
    return 1;
  }
  long long bytes = 0;
  const long long start = monotonic_ns();
  if ((rate > 0 ? paced(lines, rate, &bytes) : flood(lines, &bytes)) != 0) return 1;
  const long long elapsed = monotonic_ns() - start;
  const int fd = open(argv[2], O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return 1;
  char result[96];
  const int length = snprintf(result, sizeof result, "%lld %lld %lld\n", lines, bytes, elapsed);
  if (write(fd, result, (size_t)length) != length) return 1;
  close(fd);
  return write_all("END\n", 4) == 0 ? 0 : 1;
}
