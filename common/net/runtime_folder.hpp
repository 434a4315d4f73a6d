// Where the single-machine defaults put their socket files: /run/baton as root, else the user's
// own $XDG_RUNTIME_DIR/baton (/tmp/baton-<uid> when the session has none). The broker's ipc://
// sockets there are what `baton` and `baton up` find without --broker.
#pragma once

#include <string>

#include "common/expected.hpp"

namespace baton {

// The folder for this process's user (not created).
std::string runtime_folder();

// The broker's default endpoints: ipc://<runtime folder>/{control,ingest,bus}.sock.
std::string default_control_endpoint();
std::string default_ingest_endpoint();
std::string default_bus_endpoint();

// The control endpoint `baton` talks to without --broker: the user's own broker (one that
// `baton up` or baton-broker started as this user) when its socket exists, else the system's
// (/run/baton/control.sock), which root's broker binds.
std::string client_default_control_endpoint();

// Creates `folder` (and its parents) when missing. A folder that exists must belong to this user
// or to root: in /tmp, another user could have made it to put a socket of their own where this
// user's clients look for the broker.
Status make_runtime_folder(const std::string& folder);

}  // namespace baton
