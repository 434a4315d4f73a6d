#include "bench/support/self_exec.hpp"

#include <filesystem>

namespace baton::bench {

std::string self_path() {
  return std::filesystem::read_symlink("/proc/self/exe").string();
}

}  // namespace baton::bench
