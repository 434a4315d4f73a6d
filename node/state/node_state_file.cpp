#include "node/state/node_state_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>

#include "common/log.hpp"

namespace baton::node {

std::string state_file_path(const std::string& state_dir, const std::string& machine) {
  return state_dir + "/" + machine + ".state";
}

Expected<UniqueFd> lock_state(const std::string& state_dir, const std::string& machine) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) return Error{"cannot create the state folder " + state_dir + ": " + ec.message()};
  const std::string path = state_dir + "/" + machine + ".lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return Error{"cannot open " + path + ": " + std::strerror(errno)};
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {};
    const ssize_t n = ::pread(fd.get(), holder, sizeof holder - 1, 0);
    return Error{"another baton-node (pid " + std::string(holder, n > 0 ? n : 0) +
                 ") keeps machine " + machine + " in " + state_dir +
                 "; give each node its own --state-dir"};
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd.get(), 0) != 0 || ::pwrite(fd.get(), pid.data(), pid.size(), 0) < 0) {
    return Error{"cannot write " + path + ": " + std::strerror(errno)};
  }
  return fd;
}

Expected<std::string> node_instance_id(const std::string& state_dir, const std::string& machine) {
  const std::string path = state_dir + "/" + machine + ".id";
  std::string id;
  if (std::ifstream in(path); in) std::getline(in, id);
  const bool valid =
      id.size() == 16 && id.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (valid) return id;
  std::random_device random;
  const std::uint64_t value = (std::uint64_t{random()} << 32) | random();
  id = fmt::format("{:016x}", value);
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << id << "\n";
    if (!out.flush()) return Error{"cannot write " + tmp + ": " + std::strerror(errno)};
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Error{"cannot write " + path + ": " + std::strerror(errno)};
  }
  return id;
}

Expected<std::optional<SavedNode>> load_node_state(const std::string& path,
                                                   const std::string& machine) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<SavedNode>{};
    return Error{"cannot read " + path + ": " + std::strerror(errno)};
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  msgpack::zone zone;
  // The file holds every app and registration of the machine: the bulk limits apply.
  auto object = proto::unpack_frame(zone, bytes.data(), bytes.size(), proto::bulk_frame_limits());
  if (!object) return Error{path + ": " + object.error().message};
  auto state = proto::decode<SavedNode>(*object);
  if (!state) return Error{path + ": " + state.error().message};
  if (state->v != kStateVersion) {
    return Error{path + ": state version " + std::to_string(state->v) + ", this node reads " +
                 std::to_string(kStateVersion)};
  }
  if (state->machine != machine) {
    return Error{path + ": state of machine " + state->machine + ", this node is " + machine};
  }
  return std::optional<SavedNode>(std::move(state).value());
}

Status save_node_state(const std::string& path, const SavedNode& state) {
  return write_node_state(path, proto::pack_to_string(state));
}

Status write_node_state(const std::string& path, std::string_view packed) {
  const std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return Error{"cannot write " + tmp + ": " + std::strerror(errno)};
  while (!packed.empty()) {
    const ssize_t n = ::write(fd.get(), packed.data(), packed.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Error{"cannot write " + tmp + ": " + std::strerror(n < 0 ? errno : EIO)};
    packed.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::close(fd.release()) != 0) {
    return Error{"cannot write " + tmp + ": " + std::strerror(errno)};
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return Error{"cannot replace " + path + ": " + std::strerror(errno)};
  }
  return ok_status();
}

void pack_node_state(const SavedNode& state,
                     const std::vector<std::string_view>& packed_registrations, std::string& out) {
  const std::string head = proto::pack_to_string(state);
  // The map's last value is the empty array of registrations (0x90): replaced by the full one.
  if (!state.registrations.empty() || head.empty() || head.back() != '\x90') {
    throw std::logic_error("pack_node_state: registrations must be the last field, empty");
  }
  std::size_t size = head.size() - 1 + 5;
  for (std::string_view r : packed_registrations)
    size += r.size();
  out.clear();
  out.reserve(size);
  out.append(head, 0, head.size() - 1);
  msgpack::sbuffer header;
  msgpack::packer<msgpack::sbuffer>(header).pack_array(
      static_cast<std::uint32_t>(packed_registrations.size()));
  out.append(header.data(), header.size());
  for (std::string_view r : packed_registrations)
    out.append(r);
}

std::string pack_node_state(const SavedNode& state,
                            const std::vector<std::string_view>& packed_registrations) {
  std::string packed;
  pack_node_state(state, packed_registrations, packed);
  return packed;
}

std::string pack_saved_registration(const RegistrationRecord& registration) {
  return proto::pack_to_string(registration);
}

}  // namespace baton::node
