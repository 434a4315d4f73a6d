// /proc/<pid>/stat, parsed once for everyone who reads it: process trees (parent links, state),
// start times (to tell a pid from its reuse) and resource usage (CPU ticks, threads, RSS).
#pragma once

#include <dirent.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace baton {

struct ProcStat {
  char state = '?';  // R, S, D, Z, ...
  pid_t parent = 0;
  // CPU time in clock ticks (sysconf(_SC_CLK_TCK)): the process's own, and that of the children
  // it has waited for (which include their own waited-for children).
  std::uint64_t user_ticks = 0;
  std::uint64_t system_ticks = 0;
  std::uint64_t children_user_ticks = 0;
  std::uint64_t children_system_ticks = 0;
  std::uint32_t threads = 0;
  std::uint64_t start_time = 0;  // clock ticks after boot
  std::uint64_t rss_pages = 0;
};

// The fields of one /proc/<pid>/stat line; nullopt when it is not one. The command name (field 2)
// may hold spaces and parentheses, so fields are counted after the last ')'.
std::optional<ProcStat> parse_proc_stat(std::string_view line);

// Reads and parses /proc/<pid>/stat (nullopt: no such process). One read into a stack buffer: the
// usage sampler reads it for every process of the machine at each interval.
std::optional<ProcStat> read_proc_stat(pid_t pid);

// The stat of every process of the machine but the caller, in /proc's order, a few at a time: a
// caller on an event loop reads a thousand processes in slices instead of in one long stall. A
// process gone by the time its line is read is skipped.
class ProcStatWalk {
 public:
  using Visit = std::function<void(pid_t, const ProcStat&)>;
  ProcStatWalk();
  ~ProcStatWalk();
  ProcStatWalk(const ProcStatWalk&) = delete;
  ProcStatWalk& operator=(const ProcStatWalk&) = delete;

  // Visits up to `count` more processes; false once the walk has reached the end.
  bool visit_some(std::size_t count, const Visit& visit);

 private:
  DIR* proc_;
  pid_t self_;
};

// The whole walk at once.
void for_each_proc_stat(const ProcStatWalk::Visit& visit);

// A small file of /proc whole (stat, meminfo, environ); "" when it cannot be read (the process is
// gone, no permission).
std::string read_proc_file(const std::string& path);

}  // namespace baton
