#include "harness/temp_dir.hpp"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string_view>

#include "harness/files.hpp"

namespace baton::harness {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "baton-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

namespace {

// Whether a process's environment (NUL-separated) marks it as launched by a node (BATON_LAUNCH_ID)
// of a test whose folder is `folder`: its appmonitor socket or config folder is in it.
bool launched_for(const std::string& environment, const std::string& folder) {
  bool launched = false, ours = false;
  std::size_t start = 0;
  while (start < environment.size()) {
    std::size_t end = environment.find('\0', start);
    if (end == std::string::npos) end = environment.size();
    const std::string_view entry(environment.data() + start, end - start);
    launched = launched || entry.starts_with("BATON_LAUNCH_ID=");
    const std::size_t at = entry.find(folder);
    ours = ours || (at != std::string_view::npos &&
                    (at + folder.size() == entry.size() || entry[at + folder.size()] == '/'));
    start = end + 1;
  }
  return launched && ours;
}

}  // namespace

TempDir::~TempDir() {
  // The apps a test's nodes launched outlive a node killed with SIGKILL (by design: a restarted
  // node adopts them), so they are ended here with the folder they belong to.
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (pid == ::getpid()) continue;
    // read_file(), not an istreambuf_iterator: the read of a process that exits meanwhile fails
    // (ESRCH), and an ifstream's underflow throws that, here out of a destructor.
    if (launched_for(read_file((entry.path() / "environ").string()), path_)) ::kill(pid, SIGKILL);
  }
  std::filesystem::remove_all(path_, ec);
}

}  // namespace baton::harness
