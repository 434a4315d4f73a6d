// ipc:// sockets that only one user and one group may connect to, the way docker.sock or
// supervisord's socket are guarded: the socket file is mode 0660, owned by the daemon's user and
// a chosen group (connecting to a Unix socket needs write permission on its file). The node's
// application monitor and the broker's single-machine sockets bind this way.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <zmq.hpp>

#include "common/expected.hpp"

namespace baton {

// The group a daemon's socket files get when none is given.
inline constexpr const char* kDefaultSocketGroup = "baton";

// "/run/baton/control.sock" of "ipc:///run/baton/control.sock"; nullopt for other transports.
std::optional<std::string> ipc_path_of(std::string_view endpoint);

// The group whose members may connect: `name` (a group name or a number), or when empty the
// "baton" group if it exists and this process may give files to it (root, or a member), else the
// process's own group. `option` names the option in the error ("--group").
Expected<gid_t> socket_group(const std::string& name, std::string_view option);

// "'baton'" for a group the database knows, else its number.
std::string describe_group(gid_t gid);

// Binds `socket` to the ipc:// `endpoint` so that only this process's user and `group` can
// connect: creates the folder when missing (mode 0755; it must belong to this user or root),
// removes a socket file that a crashed daemon left (and refuses when something still listens
// there: "another <daemon> already listens on ..."), binds under a staged name, gives the file its
// group and mode 0660, then moves it to its path: the file appears there only when it is ready.
// On failure nothing is left bound. The caller removes the file when it closes the socket
// (libzmq knows it by its staged name).
Status bind_group_socket(zmq::socket_t& socket, const std::string& endpoint, gid_t group,
                         std::string_view daemon);

}  // namespace baton
