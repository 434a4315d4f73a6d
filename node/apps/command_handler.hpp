// Executes the commands a node receives on cmd/<machine>/ and answers each on reply/<reply_to>.
// A command that cannot be decoded far enough to know where to reply is logged and dropped; any
// other failure (unknown op, unknown app, bad arguments, missing executable) is an error reply.
#pragma once

#include <zmq.hpp>

#include <functional>
#include <string>

#include "node/apps/app_supervisor.hpp"

namespace baton::node {

class CommandHandler {
 public:
  using Publish = std::function<void(const std::string& topic, const std::string& payload)>;
  CommandHandler(std::string machine, AppSupervisor& supervisor, Publish publish);

  void handle(const void* data, std::size_t size);

 private:
  using Command = proto::bus::CommandHeader;
  // One per CommandOp, chosen by the table in handle(); each answers the command.
  using Handler = void (CommandHandler::*)(const Command&, const msgpack::object& args);
  void deploy(const Command& command, const msgpack::object& args);
  void launch(const Command& command, const msgpack::object& args);
  void kill(const Command& command, const msgpack::object& args);
  void restart(const Command& command, const msgpack::object& args);
  void set_vars(const Command& command, const msgpack::object& args);
  void kill_all(const Command& command, const msgpack::object& args);
  void get_state(const Command& command, const msgpack::object& args);
  void tail(const Command& command, const msgpack::object& args);

  void reply(const Command& command, const Status& status);

  std::string machine_;
  AppSupervisor& supervisor_;
  Publish publish_;
};

}  // namespace baton::node
