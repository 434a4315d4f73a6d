#include "bench/support/record_pipe.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace baton::bench {

Pipe::Pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  read_ = fds[0];
  write_ = fds[1];
}

Pipe::~Pipe() {
  close_read_end();
  close_write_end();
}

void Pipe::close_read_end() {
  if (read_ >= 0) ::close(read_);
  read_ = -1;
}

void Pipe::close_write_end() {
  if (write_ >= 0) ::close(write_);
  write_ = -1;
}

long read_some(int fd, char* buffer, std::size_t size, std::chrono::milliseconds wait) {
  pollfd item{fd, POLLIN, 0};
  const int ready = ::poll(&item, 1, static_cast<int>(wait.count()));
  if (ready <= 0) return 0;
  const ssize_t n = ::read(fd, buffer, size);
  if (n == 0) return -1;
  return n < 0 ? 0 : static_cast<long>(n);
}

}  // namespace baton::bench
