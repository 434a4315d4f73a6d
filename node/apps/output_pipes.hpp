// Each launched process's stdout and stderr, from the pipe it writes into to its app's rotated log
// (AppOutputLog). The app writes into a pipe, never into the file, so that only the node writes
// the file and can rotate it at any time. With a state folder the pipe is a FIFO there
// (<state_dir>/<machine>.out/<launch id>), which a restarted node opens again by its name and
// reads on. A pipe lives until EOF, which may come long after its process exits: something the
// process started may still hold the write end.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/loop/event_loop.hpp"
#include "common/os/unique_fd.hpp"
#include "node/apps/app_output_log.hpp"
#include "node/apps/log_times.hpp"

namespace baton::node {

struct OutputConfig {
  std::string machine;
  std::string log_dir;  // <log_dir>/<app>.log; empty: output goes nowhere
  OutputLogLimits app_log;
  std::string state_dir;  // where the FIFOs live; empty: plain pipes
  // Sees each app's output as it goes to its log (AppOutputLog::Tap); none: only the logs.
  std::function<void(const std::string& app, std::string_view text)> tap;
};

class OutputPipes {
 public:
  // A new launch's pipe: the write end becomes the process's stdout and stderr.
  struct Opened {
    UniqueFd write_end;
    UniqueFd read_end;
    std::string fifo;  // its path; empty for a plain pipe
  };

  OutputPipes(EventLoop& loop, OutputConfig config);
  // finish()
  ~OutputPipes();
  OutputPipes(const OutputPipes&) = delete;
  OutputPipes& operator=(const OutputPipes&) = delete;

  // The pipe for a launch of `app`; nothing when output goes nowhere, or when no pipe could be
  // made (said in the log: the app then runs without its output).
  std::optional<Opened> open(const std::string& app, const std::string& launch_id);
  // The process `pid` was started with `opened`'s write end: its output is read from now on.
  void watch(const std::string& app, pid_t pid, Opened opened);
  // The process could not be started: its FIFO goes.
  void discard(Opened opened);
  // `pid` exited: what it wrote is read into the log now (before anything the next launch
  // writes), and its last line is complete even without its line end.
  void drain(pid_t pid);

  // After a node restart: reads on from the FIFO of `launch_id`, the launch of `pid` (0 when its
  // process is gone: the FIFO is then read to its end). False when there is no such FIFO.
  bool reopen(const std::string& app, pid_t pid, const std::string& launch_id);
  // Removes the FIFOs of launches that reopen() did not take: nothing will ever read them.
  void remove_unclaimed_fifos();

  // Reads what the pipes hold now, writes it and every held incomplete line to the logs, and
  // closes the pipes: at shutdown, once the apps are gone.
  void finish();

  // When the parts of `app`'s log were written, as far as this node wrote them; nullptr when it
  // wrote none.
  const LogTimes* times_of(const std::string& app) const;

 private:
  struct Pipe {
    std::string app;
    pid_t pid = 0;
    UniqueFd fd;
    Watch watch;                        // of fd
    std::shared_ptr<AppOutputLog> log;  // shared with the app's other pipes still open
    AppOutputLog::Stream stream;
    TimePoint last_data{};
    Timer flush_timer;  // for an incomplete line that waits too long
    std::string fifo;   // removed at EOF
  };
  using Pipes = std::map<std::uint64_t, std::unique_ptr<Pipe>>;

  std::string fifo_path(const std::string& launch_id) const;
  // The app's log, shared by all its open pipes, so that only one writer rotates the file.
  std::shared_ptr<AppOutputLog> log_of(const std::string& app);
  void add(const std::string& app, pid_t pid, UniqueFd read_end, std::string fifo);
  void on_readable(std::uint64_t id);
  // Reads up to `budget` bytes into the log; false at EOF (or a read error): the pipe is done.
  bool read(Pipe& pipe, std::size_t budget);
  Pipes::iterator close(Pipes::iterator it);
  void schedule_partial_flush(std::uint64_t id, Pipe& pipe);
  void on_partial_line_due(std::uint64_t id);

  EventLoop& loop_;
  OutputConfig config_;
  std::map<std::string, std::weak_ptr<AppOutputLog>> logs_;
  // Kept while no pipe of the app is open, unlike its AppOutputLog: the times of what the app
  // wrote in earlier runs still matter.
  std::map<std::string, LogTimes> times_;
  Pipes pipes_;
  std::uint64_t next_id_ = 1;
  std::vector<char> buffer_;
  std::set<std::string> reopened_;  // launch ids whose FIFO a restarted node reads on
};

}  // namespace baton::node
