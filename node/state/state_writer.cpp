#include "node/state/state_writer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <system_error>

#include "node/state/node_state_file.hpp"

namespace baton::node {

namespace {

// Nice value added to the node's for the writer's thread (a thread's own on Linux): a save may
// wait for a CPU, the loop's deadlines may not.
constexpr int kWriterNice = 10;

// Both fit in PIPE_BUF, so each is written and read whole. A request names bytes of this process.
struct Request {
  const char* data;
  std::size_t size;
};
struct Answer {
  std::uint64_t took_us;
  char error[248];  // empty: written
};

std::pair<UniqueFd, UniqueFd> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "state writer pipe");
  }
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Whole records only; false at end of file or on an error other than EINTR.
bool read_record(int fd, void* record, std::size_t size) {
  for (;;) {
    const ssize_t n = ::read(fd, record, size);
    if (n == static_cast<ssize_t>(size)) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

void write_record(int fd, const void* record, std::size_t size) {
  while (::write(fd, record, size) < 0 && errno == EINTR) {
  }
}

}  // namespace

StateWriter::StateWriter(EventLoop& loop, std::string path, Done done)
    : loop_(loop), path_(std::move(path)), done_(std::move(done)) {
  auto [request_out, request_in] = make_pipe();
  auto [answer_out, answer_in] = make_pipe();
  requests_ = std::move(request_in);
  answers_ = std::move(answer_out);
  // The thread owns its ends and closes them when it ends.
  thread_ = std::thread([this, requests = request_out.release(), answers = answer_in.release()] {
    run_writer(requests, answers);
    ::close(requests);
    ::close(answers);
  });
  watch_ = loop_.watch_fd(answers_.get(), [this] { take_answer(false); });
}

StateWriter::~StateWriter() {
  if (busy_) take_answer(true);
  requests_.reset();  // end of file: the thread ends
  thread_.join();
}

void StateWriter::run_writer(int requests, int answers) const {
  // Signals are the loop's (its signalfd): none may land on this thread and take its default
  // action, whatever the mask of the thread that made this one.
  sigset_t all;
  ::sigfillset(&all);
  ::pthread_sigmask(SIG_BLOCK, &all, nullptr);
  ::pthread_setname_np(::pthread_self(), "baton-state");  // as ps and /proc show it
  (void)!::nice(kWriterNice);
  Request request{};
  while (read_record(requests, &request, sizeof request)) {
    const auto start = std::chrono::steady_clock::now();
    const Status written = write_node_state(path_, {request.data, request.size});
    Answer answer{};
    answer.took_us =
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::steady_clock::now() - start)
                                       .count());
    if (!written) {
      const std::string& message = written.error().message;
      std::memcpy(answer.error, message.data(), std::min(message.size(), sizeof answer.error - 1));
    }
    write_record(answers, &answer, sizeof answer);
  }
}

void StateWriter::write(std::string_view packed) {
  if (busy_) throw std::logic_error("StateWriter::write while a write is in progress");
  const Request request{packed.data(), packed.size()};
  write_record(requests_.get(), &request, sizeof request);
  busy_ = true;
}

void StateWriter::take_answer(bool wait) {
  if (!busy_) return;
  if (!wait) {
    pollfd ready{answers_.get(), POLLIN, 0};
    if (::poll(&ready, 1, 0) != 1) return;
  }
  Answer answer{};
  if (!read_record(answers_.get(), &answer, sizeof answer)) {
    std::strcpy(answer.error, "the state writer ended");
  }
  busy_ = false;
  const Status result = answer.error[0] == '\0' ? ok_status() : Status(Error{answer.error});
  if (done_) done_(result, std::chrono::microseconds(answer.took_us));
}

Status StateWriter::write_now(std::string_view packed) {
  if (busy_) throw std::logic_error("StateWriter::write_now while a write is in progress");
  return write_node_state(path_, packed);
}

}  // namespace baton::node
