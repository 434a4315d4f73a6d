#include "node/process/proc_stat.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>

#include "common/os/unique_fd.hpp"

namespace baton {

namespace {

// Field numbers as proc(5) counts them, from 1.
constexpr int kState = 3;
constexpr int kParent = 4;
constexpr int kUserTicks = 14;
constexpr int kSystemTicks = 15;
constexpr int kChildrenUserTicks = 16;
constexpr int kChildrenSystemTicks = 17;
constexpr int kThreads = 20;
constexpr int kStartTime = 22;
constexpr int kRssPages = 24;

template <class Number>
bool parse_number(std::string_view text, Number& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view line) {
  const std::size_t close = line.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(close + 1);
  ProcStat out;
  int field = kState;
  bool ok = true;
  while (field <= kRssPages && ok) {
    while (!rest.empty() && rest.front() == ' ')
      rest.remove_prefix(1);
    if (rest.empty()) return std::nullopt;
    const std::size_t end = std::min(rest.find_first_of(" \n"), rest.size());
    const std::string_view value = rest.substr(0, end);
    rest.remove_prefix(end);
    switch (field) {
      case kState:
        ok = value.size() == 1;
        out.state = value.front();
        break;
      case kParent:
        ok = parse_number(value, out.parent);
        break;
      case kUserTicks:
        ok = parse_number(value, out.user_ticks);
        break;
      case kSystemTicks:
        ok = parse_number(value, out.system_ticks);
        break;
      case kChildrenUserTicks:
        ok = parse_number(value, out.children_user_ticks);
        break;
      case kChildrenSystemTicks:
        ok = parse_number(value, out.children_system_ticks);
        break;
      case kThreads:
        ok = parse_number(value, out.threads);
        break;
      case kStartTime:
        ok = parse_number(value, out.start_time);
        break;
      case kRssPages:
        ok = parse_number(value, out.rss_pages);
        break;
      default:
        break;
    }
    ++field;
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  // The line is a few hundred bytes (the command name is at most 15 of them); a process reaped
  // between the open and the read makes the read fail (ESRCH): no such process.
  char buffer[1024];
  ssize_t n;
  do {
    n = ::read(fd.get(), buffer, sizeof buffer);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return std::nullopt;
  return parse_proc_stat(std::string_view(buffer, static_cast<std::size_t>(n)));
}

ProcStatWalk::ProcStatWalk() : proc_(::opendir("/proc")), self_(::getpid()) {}

ProcStatWalk::~ProcStatWalk() {
  if (proc_ != nullptr) ::closedir(proc_);
}

bool ProcStatWalk::visit_some(std::size_t count, const Visit& visit) {
  if (proc_ == nullptr) return false;
  for (std::size_t visited = 0; visited < count;) {
    const dirent* entry = ::readdir(proc_);
    if (entry == nullptr) return false;
    pid_t pid = 0;
    if (!parse_number(std::string_view(entry->d_name), pid) || pid == self_) continue;
    if (auto stat = read_proc_stat(pid)) visit(pid, *stat);
    ++visited;
  }
  return true;
}

void for_each_proc_stat(const ProcStatWalk::Visit& visit) {
  ProcStatWalk walk;
  while (walk.visit_some(1024, visit)) {
  }
}

std::string read_proc_file(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return {};
  std::string out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace baton
