#include "node/state/journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "common/log.hpp"

namespace baton::node {

namespace fs = std::filesystem;

Journal::Journal(std::string state_dir, std::string machine)
    : state_dir_(std::move(state_dir)), machine_(std::move(machine)) {}

std::string Journal::segment_path(const std::string& state_dir, const std::string& machine,
                                  std::uint64_t segment) {
  return state_dir + "/" + machine + ".journal." + std::to_string(segment);
}

std::vector<std::uint64_t> Journal::segments(const std::string& state_dir,
                                             const std::string& machine) {
  const std::string prefix = machine + ".journal.";
  std::vector<std::uint64_t> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(state_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix)) continue;
    std::uint64_t number = 0;
    const char* first = name.data() + prefix.size();
    const char* last = name.data() + name.size();
    const auto [end, error] = std::from_chars(first, last, number);
    if (error == std::errc() && end == last && first != last) found.push_back(number);
  }
  std::sort(found.begin(), found.end());
  return found;
}

Status Journal::open() {
  const auto existing = segments(state_dir_, machine_);
  segment_ = existing.empty() ? 1 : existing.back() + 1;
  oldest_ = existing.empty() ? segment_ : existing.front();
  const std::string path = path_of(segment_);
  fd_.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600));
  if (!fd_.valid()) return Error{"cannot create " + path + ": " + std::strerror(errno)};
  return ok_status();
}

void Journal::add(const JournalEntry& entry) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> packer(buffer);
  proto::pack_message(packer, entry);
  pending_.append(buffer.data(), buffer.size());
}

void Journal::write_pending() {
  if (pending_.empty()) return;
  std::string_view rest = pending_;
  while (!rest.empty()) {
    const ssize_t n = fd_.valid() ? ::write(fd_.get(), rest.data(), rest.size()) : -1;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      spdlog::error(
          "cannot write {}: {}; a node killed before the next state file would lose "
          "the latest changes",
          path_of(segment_), fd_.valid() ? std::strerror(errno) : "not open");
      break;
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
    segment_bytes_ += static_cast<std::size_t>(n);
  }
  pending_.clear();
}

std::uint64_t Journal::snapshot_taken() {
  write_pending();
  if (segment_bytes_ < kSegmentBytes) return segment_ - 1;
  const std::uint64_t covered = segment_;
  const std::string path = path_of(++segment_);
  segment_bytes_ = 0;
  fd_.reset(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600));
  if (!fd_.valid()) spdlog::error("cannot create {}: {}", path, std::strerror(errno));
  return covered;
}

void Journal::remove_through(std::uint64_t segment) {
  for (; oldest_ <= segment && oldest_ < segment_; ++oldest_) {
    std::error_code ec;
    fs::remove(path_of(oldest_), ec);
  }
}

void Journal::set_aside(const std::string& state_dir, const std::string& machine) {
  for (const std::uint64_t number : segments(state_dir, machine)) {
    const std::string path = segment_path(state_dir, machine, number);
    std::error_code ec;
    fs::rename(path, path + ".bad", ec);
  }
}

void Journal::apply(const JournalEntry& entry, SavedNode& state) {
  if (entry.definitions) state.definitions = *entry.definitions;
  if (entry.vars) state.vars = *entry.vars;
  if (entry.app) {
    auto same = std::find_if(state.apps.begin(), state.apps.end(),
                             [&](const SavedApp& app) { return app.app == entry.app->app; });
    if (same != state.apps.end()) {
      *same = *entry.app;
    } else {
      state.apps.push_back(*entry.app);
    }
  }
  auto drop = [&](Token token) {
    std::erase_if(state.registrations,
                  [&](const RegistrationRecord& r) { return r.token == token; });
  };
  if (entry.registered) {
    drop(entry.registered->token);
    state.registrations.push_back(*entry.registered);
  }
  if (entry.unregistered) drop(*entry.unregistered);
}

std::size_t Journal::replay(const std::string& state_dir, const std::string& machine,
                            SavedNode& state) {
  std::size_t applied = 0;
  for (const std::uint64_t number : segments(state_dir, machine)) {
    const std::string path = segment_path(state_dir, machine, number);
    std::ifstream in(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::size_t offset = 0;
    while (offset < bytes.size()) {
      msgpack::object_handle handle;
      try {
        handle = msgpack::unpack(bytes.data(), bytes.size(), offset, nullptr, nullptr,
                                 proto::bulk_frame_limits());
      } catch (const std::exception& e) {
        spdlog::warn("{}: read up to byte {} of {}, the rest is torn ({})", path, offset,
                     bytes.size(), e.what());
        break;
      }
      auto entry = proto::decode<JournalEntry>(handle.get());
      if (!entry) {
        spdlog::warn("{}: skipped an entry: {}", path, entry.error().message);
        continue;
      }
      apply(*entry, state);
      ++applied;
    }
  }
  return applied;
}

}  // namespace baton::node
