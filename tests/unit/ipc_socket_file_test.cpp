// Group-guarded ipc:// socket files (common/net/ipc_socket_file) and the runtime folder they live
// in (common/net/runtime_folder).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/net/ipc_socket_file.hpp"
#include "common/net/runtime_folder.hpp"
#include "harness/polling.hpp"
#include "harness/temp_dir.hpp"

namespace baton {
namespace {

using harness::TempDir;

TEST(IpcSocketFile, PathOfAnIpcEndpointOnly) {
  EXPECT_EQ(ipc_path_of("ipc:///run/baton/control.sock"), "/run/baton/control.sock");
  EXPECT_EQ(ipc_path_of("tcp://127.0.0.1:7100"), std::nullopt);
  EXPECT_EQ(ipc_path_of("inproc://x"), std::nullopt);
}

TEST(IpcSocketFile, GroupByNameOrNumberUnknownNamesAreErrors) {
  EXPECT_EQ(socket_group("root", "--group").value(), 0u);
  EXPECT_EQ(socket_group("4242", "--group").value(), 4242u);
  auto unknown = socket_group("no-such-group-here", "--group");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message, "unknown group 'no-such-group-here' (--group)");
}

TEST(IpcSocketFile, BindsMode0660WithTheGroupAndCreatesTheFolder) {
  TempDir dir;
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::router);
  socket.set(zmq::sockopt::linger, 0);
  const std::string path = dir / "run/inner/control.sock";
  ASSERT_TRUE(bind_group_socket(socket, "ipc://" + path, 4242, "broker"));
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  EXPECT_EQ(info.st_mode & 07777, 0660u);
  if (::geteuid() == 0) {  // others may give files only to their own groups
    EXPECT_EQ(info.st_gid, 4242u);
  }
  ASSERT_EQ(::stat((dir / "run/inner").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0755u);
}

// The file is bound under a staged name and moved to its path when ready: nothing staged stays
// behind, and a client connects by the path.
TEST(IpcSocketFile, TheBoundFileIsReachableAtItsPathAndNothingStagedRemains) {
  TempDir dir;
  zmq::context_t context;
  zmq::socket_t server(context, zmq::socket_type::router),
      client(context, zmq::socket_type::dealer);
  server.set(zmq::sockopt::linger, 0);
  client.set(zmq::sockopt::linger, 0);
  const std::string endpoint = "ipc://" + (dir / "control.sock");
  ASSERT_TRUE(bind_group_socket(server, endpoint, ::getegid(), "broker"));
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    names.push_back(entry.path().filename());
  EXPECT_EQ(names, std::vector<std::string>{"control.sock"});
  client.connect(endpoint);
  client.send(zmq::str_buffer("hello"));
  server.set(zmq::sockopt::rcvtimeo, 10'000);
  zmq::message_t identity, body;
  ASSERT_TRUE(server.recv(identity));
  ASSERT_TRUE(server.recv(body));
  EXPECT_EQ(body.to_string(), "hello");
}

TEST(IpcSocketFile, RefusesAPathSomeoneListensOnAndReplacesAStaleFile) {
  TempDir dir;
  zmq::context_t context;
  zmq::socket_t first(context, zmq::socket_type::router), second(context, zmq::socket_type::router);
  first.set(zmq::sockopt::linger, 0);
  second.set(zmq::sockopt::linger, 0);
  const std::string endpoint = "ipc://" + (dir / "control.sock");
  const gid_t group = ::getegid();
  ASSERT_TRUE(bind_group_socket(first, endpoint, group, "broker"));
  auto refused = bind_group_socket(second, endpoint, group, "broker");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, "another broker already listens on " + endpoint);

  first.close();  // a daemon that died: its file stays, nobody listens
  ASSERT_TRUE(harness::wait_until([&] {
    zmq::socket_t probe(context, zmq::socket_type::router);
    probe.set(zmq::sockopt::linger, 0);
    return static_cast<bool>(bind_group_socket(probe, endpoint, group, "broker"));
  }));
}

// A daemon killed while it started a child leaves its listening socket open in that child until
// the child's exec: the socket file then answers, but its listener is gone, and a new daemon takes
// the path over.
TEST(IpcSocketFile, ASocketWhoseListenerDiedIsTakenOver) {
  TempDir dir;
  const std::string path = dir / "control.sock";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t daemon = ::fork();
  ASSERT_GE(daemon, 0);
  if (daemon == 0) {  // the daemon: listens, starts a child that keeps the socket, and dies
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, path.size());
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 8) != 0)
      ::_exit(1);
    const pid_t child = ::fork();
    if (child == 0) {
      ::close(ready[0]);
      ::pause();  // holds the listening socket until it is killed
      ::_exit(0);
    }
    if (::write(ready[1], &child, sizeof child) != sizeof child) ::_exit(1);
    ::_exit(0);
  }
  ::close(ready[1]);
  pid_t child = 0;
  ASSERT_EQ(::read(ready[0], &child, sizeof child), static_cast<ssize_t>(sizeof child));
  ::close(ready[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(daemon, &status, 0), daemon);
  ASSERT_EQ(status, 0);

  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::router);
  socket.set(zmq::sockopt::linger, 0);
  EXPECT_TRUE(bind_group_socket(socket, "ipc://" + path, ::getegid(), "broker"));
  ::kill(child, SIGKILL);
}

TEST(RuntimeFolder, RefusesAFolderOfAnotherUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "giving a folder to another user needs root";
  TempDir dir;
  const std::string theirs = dir / "theirs";
  ASSERT_EQ(::mkdir(theirs.c_str(), 0777), 0);
  ASSERT_EQ(::chown(theirs.c_str(), 65534, 65534), 0);
  auto refused = make_runtime_folder(theirs);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("belongs to uid 65534"), std::string::npos);
  EXPECT_TRUE(make_runtime_folder(dir / "mine"));
}

}  // namespace
}  // namespace baton
