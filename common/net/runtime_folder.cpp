#include "common/net/runtime_folder.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace baton {

namespace {

constexpr const char* kSystemFolder = "/run/baton";

std::string user_folder() {
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  if (runtime != nullptr && *runtime != '\0') return std::string(runtime) + "/baton";
  return "/tmp/baton-" + std::to_string(::geteuid());
}

std::string endpoint_in(const std::string& folder, const char* name) {
  return "ipc://" + folder + "/" + name;
}

}  // namespace

std::string runtime_folder() {
  return ::geteuid() == 0 ? std::string(kSystemFolder) : user_folder();
}

std::string default_control_endpoint() {
  return endpoint_in(runtime_folder(), "control.sock");
}

std::string default_ingest_endpoint() {
  return endpoint_in(runtime_folder(), "ingest.sock");
}

std::string default_bus_endpoint() {
  return endpoint_in(runtime_folder(), "bus.sock");
}

std::string client_default_control_endpoint() {
  const std::string own = runtime_folder() + "/control.sock";
  std::error_code ec;
  if (std::filesystem::exists(own, ec)) return "ipc://" + own;
  return endpoint_in(kSystemFolder, "control.sock");
}

Status make_runtime_folder(const std::string& folder) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(folder, ec)) {
    // 0755: the folder only has to be crossed; each socket file's own mode (0660) and group say
    // who may connect. A 0750 folder of one group would shut out the members of another (the
    // appmonitor socket's group may differ from the broker's).
    fs::create_directories(folder, ec);
    if (ec) return Error{"cannot create " + folder + ": " + ec.message()};
    fs::permissions(folder, fs::perms(0755), ec);
    if (ec) return Error{"cannot set the mode of " + folder + ": " + ec.message()};
  }
  struct stat info {};
  if (::lstat(folder.c_str(), &info) != 0) {
    return Error{"cannot use " + folder + ": " + std::strerror(errno)};
  }
  if (!S_ISDIR(info.st_mode)) return Error{"cannot use " + folder + ": not a folder"};
  if (info.st_uid != ::geteuid() && info.st_uid != 0) {
    return Error{"refusing to use " + folder + ": it belongs to uid " +
                 std::to_string(info.st_uid) + ", neither this user nor root"};
  }
  return ok_status();
}

}  // namespace baton
