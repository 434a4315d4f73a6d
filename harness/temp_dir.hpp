// A temporary folder for one test or benchmark run: the sockets, configs, logs and state folders
// of the processes it starts. Removing it also ends the apps those processes launched.
#pragma once

#include <string>

namespace baton::harness {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace baton::harness
