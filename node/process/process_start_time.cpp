#include "node/process/process_start_time.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <string>

#include "common/os/unique_fd.hpp"

namespace baton {

std::optional<std::uint64_t> process_start_time(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  // Plain read(): a process reaped between the open and the read makes the read fail (ESRCH),
  // which is "no such process" here, where an ifstream would throw from its underflow.
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  std::string stat;
  char buffer[1024];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    stat.append(buffer, static_cast<std::size_t>(n));
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  std::size_t at = stat.rfind(')');
  if (at == std::string::npos) return std::nullopt;
  ++at;
  // Field 3 (state) follows the ')' and a space; starttime is field 22, 19 fields further.
  for (int field = 3; field < 22; ++field) {
    at = stat.find(' ', at + 1);
    if (at == std::string::npos) return std::nullopt;
  }
  std::uint64_t ticks = 0;
  const char* begin = stat.data() + at + 1;
  auto [end, ec] = std::from_chars(begin, stat.data() + stat.size(), ticks);
  if (ec != std::errc() || end == begin) return std::nullopt;
  return ticks;
}

}  // namespace baton
