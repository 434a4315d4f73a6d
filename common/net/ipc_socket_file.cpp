#include "common/net/ipc_socket_file.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "common/net/runtime_folder.hpp"
#include "common/os/unique_fd.hpp"

namespace baton {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kIpcScheme = "ipc://";

// True when a live process accepts connections on the Unix socket at `path`. A daemon killed in
// the middle of starting a child leaves its listening socket open in that child until the child's
// exec closes it (close-on-exec), which on a busy machine can take a while: the kernel names the
// process that listened (SO_PEERCRED), and when that one is gone the socket is left over.
bool someone_listens(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  path.copy(addr.sun_path, path.size());
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return false;
  ucred listener{};
  socklen_t size = sizeof listener;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &listener, &size) != 0) return true;
  return listener.pid <= 0 || ::kill(listener.pid, 0) == 0 || errno != ESRCH;
}

bool in_group(gid_t gid) {
  if (::getegid() == gid) return true;
  const int count = ::getgroups(0, nullptr);
  if (count <= 0) return false;
  std::vector<gid_t> groups(static_cast<std::size_t>(count));
  const int got = ::getgroups(count, groups.data());
  return got > 0 && std::find(groups.begin(), groups.begin() + got, gid) != groups.begin() + got;
}

std::optional<gid_t> find_group(const std::string& name) {
  group entry{};
  group* found = nullptr;
  char buffer[4096];
  if (::getgrnam_r(name.c_str(), &entry, buffer, sizeof buffer, &found) == 0 && found != nullptr) {
    return found->gr_gid;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> ipc_path_of(std::string_view endpoint) {
  if (!endpoint.starts_with(kIpcScheme)) return std::nullopt;
  return std::string(endpoint.substr(kIpcScheme.size()));
}

Expected<gid_t> socket_group(const std::string& name, std::string_view option) {
  if (name.empty()) {
    if (auto baton = find_group(kDefaultSocketGroup);
        baton && (::geteuid() == 0 || in_group(*baton)))
      return *baton;
    return ::getegid();
  }
  if (auto found = find_group(name)) return *found;
  gid_t number = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), number);
  if (ec == std::errc() && end == name.data() + name.size()) return number;
  return Error{"unknown group '" + name + "' (" + std::string(option) + ")"};
}

std::string describe_group(gid_t gid) {
  group entry{};
  group* found = nullptr;
  char buffer[4096];
  if (::getgrgid_r(gid, &entry, buffer, sizeof buffer, &found) == 0 && found != nullptr) {
    return std::string("'") + found->gr_name + "'";
  }
  return std::to_string(gid);
}

Status bind_group_socket(zmq::socket_t& socket, const std::string& endpoint, gid_t group,
                         std::string_view daemon) {
  const auto path = ipc_path_of(endpoint);
  if (!path) return Error{"'" + endpoint + "' is not an ipc:// endpoint"};
  const fs::path parent = fs::path(*path).parent_path();
  if (!parent.empty()) {
    if (auto made = make_runtime_folder(parent.string()); !made) return made;
  }
  std::error_code ec;
  if (fs::exists(*path, ec)) {
    if (someone_listens(*path)) {
      return Error{"another " + std::string(daemon) + " already listens on " + endpoint};
    }
    fs::remove(*path, ec);  // left behind by a daemon that crashed
  }
  // The socket file must never be connectable by anyone but this user and `group`, and must not
  // appear at its path before it has both. libzmq binds an ipc:// endpoint in the calling thread,
  // so a umask set around bind() makes the staged file 0600 from its first instant; it gets its
  // group and 0660, and only then moves to its path (RENAME_NOREPLACE: a daemon that bound there
  // meanwhile keeps its file). A client that finds the file can connect at once. (The umask is
  // the whole process's; the daemons bind at their start, and a file another thread of theirs
  // created in that instant would only come out more private.)
  const std::string staged = *path + "." + std::to_string(::getpid()) + ".new";
  const std::string staged_endpoint = std::string(kIpcScheme) + staged;
  fs::remove(staged, ec);  // left by an earlier process with this pid
  const mode_t umask_before = ::umask(0177);
  try {
    socket.bind(staged_endpoint);
  } catch (const zmq::error_t& e) {
    ::umask(umask_before);
    return Error{"cannot bind " + endpoint + ": " + e.what()};
  }
  ::umask(umask_before);
  auto undo = [&](std::string message) -> Status {
    try {
      socket.unbind(staged_endpoint);
    } catch (const zmq::error_t&) {
    }
    fs::remove(staged, ec);
    return Error{std::move(message)};
  };
  if (::chown(staged.c_str(), static_cast<uid_t>(-1), group) != 0 ||
      ::chmod(staged.c_str(), 0660) != 0) {
    return undo("cannot give " + *path + " the group " + describe_group(group) +
                " and mode 0660: " + std::strerror(errno));
  }
  if (::renameat2(AT_FDCWD, staged.c_str(), AT_FDCWD, path->c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST)
      return undo("another " + std::string(daemon) + " already listens on " + endpoint);
    return undo("cannot move the socket file to " + *path + ": " + std::strerror(errno));
  }
  return ok_status();
}

}  // namespace baton
