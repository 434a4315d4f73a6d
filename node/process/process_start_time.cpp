#include "node/process/process_start_time.hpp"

#include <charconv>
#include <fstream>
#include <iterator>
#include <string>

namespace baton {

std::optional<std::uint64_t> process_start_time(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return std::nullopt;
  const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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
