#include "cli/stdout_writer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace baton::cli {

StdoutWriter::StdoutWriter() {
  struct stat st {};
  if (::fstat(1, &st) != 0 || S_ISREG(st.st_mode)) return;
  if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
    own_ = UniqueFd(::open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  }
  may_block_ = !own_.valid();
}

Expected<std::size_t> StdoutWriter::write_some(std::string_view text) {
  if (text.empty()) return std::size_t{0};
  if (may_block_) {
    // A socket, say: written only when poll says it takes more, and in pieces small enough that
    // it takes them whole.
    pollfd out{1, POLLOUT, 0};
    if (::poll(&out, 1, 0) <= 0 || !(out.revents & (POLLOUT | POLLERR | POLLHUP))) {
      return std::size_t{0};
    }
    text = text.substr(0, std::min<std::size_t>(text.size(), 4096));
  }
  for (;;) {
    const ssize_t n = ::write(fd(), text.data(), text.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::size_t{0};
    return Error{std::string("cannot write to stdout: ") + std::strerror(errno)};
  }
}

}  // namespace baton::cli
