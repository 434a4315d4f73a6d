#include "node/apps/command_handler.hpp"

#include <array>
#include <utility>

#include "common/config/deploy.hpp"
#include "common/log.hpp"

namespace baton::node {

namespace bus = proto::bus;
using bus::CommandOp;

namespace {

// The args of launch, kill and restart; a failure names the op.
Expected<bus::AppCommandArgs> app_args(const bus::CommandHeader& command,
                                       const msgpack::object& args) {
  auto app = proto::decode<bus::AppCommandArgs>(args);
  if (!app) return Error{command.op + ": " + app.error().message};
  return app;
}

}  // namespace

CommandHandler::CommandHandler(std::string machine, AppSupervisor& supervisor, Publish publish)
    : machine_(std::move(machine)), supervisor_(supervisor), publish_(std::move(publish)) {}

void CommandHandler::handle(const void* data, std::size_t size) {
  static constexpr std::array<std::pair<CommandOp, Handler>, proto::kEnumCount<CommandOp>>
      kHandlers{{
          {CommandOp::deploy, &CommandHandler::deploy},
          {CommandOp::launch, &CommandHandler::launch},
          {CommandOp::kill, &CommandHandler::kill},
          {CommandOp::restart, &CommandHandler::restart},
          {CommandOp::set_vars, &CommandHandler::set_vars},
          {CommandOp::kill_all, &CommandHandler::kill_all},
          {CommandOp::get_state, &CommandHandler::get_state},
          {CommandOp::tail, &CommandHandler::tail},
      }};
  static_assert(proto::in_declaration_order(kHandlers), "one row per op, in the enum's order");

  msgpack::zone zone;
  auto object = proto::unpack_frame(zone, data, size, proto::bulk_frame_limits());
  if (!object) {
    spdlog::warn("dropped a malformed command: {}", object.error().message);
    return;
  }
  auto command = proto::decode<bus::CommandHeader>(*object);
  if (!command) {
    spdlog::warn("dropped a command that cannot be answered: {}", command.error().message);
    return;
  }
  if (command->v != bus::kVersion) {
    return reply(*command, Error{"unsupported command version " + std::to_string(command->v)});
  }
  spdlog::debug("command {} {} from {}", command->id, command->op, command->reply_to);
  const auto op = proto::parse_name<CommandOp>(command->op);
  if (!op) return reply(*command, Error{"unknown command op '" + command->op.substr(0, 64) + "'"});
  (this->*kHandlers[static_cast<std::size_t>(*op)].second)(*command, proto::args_of(*object));
}

void CommandHandler::deploy(const Command& command, const msgpack::object& args) {
  auto deploy = proto::decode<config::DeployArgs>(args);
  if (!deploy) return reply(command, Error{"deploy: " + deploy.error().message});
  const std::size_t count = deploy->apps.size();
  auto deployed = supervisor_.deploy(std::move(deploy->apps));
  if (deployed) spdlog::info("deployed {} app definitions", count);
  reply(command, deployed);
}

void CommandHandler::launch(const Command& command, const msgpack::object& args) {
  auto app = app_args(command, args);
  if (!app) return reply(command, app.error());
  reply(command, supervisor_.launch(app->app, app->plan));
}

void CommandHandler::kill(const Command& command, const msgpack::object& args) {
  auto app = app_args(command, args);
  if (!app) return reply(command, app.error());
  reply(command, supervisor_.kill(app->app, app->by_plan.value_or(false)));
}

void CommandHandler::restart(const Command& command, const msgpack::object& args) {
  auto app = app_args(command, args);
  if (!app) return reply(command, app.error());
  reply(command, supervisor_.restart(app->app));
}

void CommandHandler::set_vars(const Command& command, const msgpack::object& args) {
  auto vars = proto::decode<bus::SetVarsArgs>(args);
  if (!vars) return reply(command, vars.error());
  supervisor_.set_vars(vars->vars->assignments);
  reply(command, ok_status());
}

void CommandHandler::kill_all(const Command& command, const msgpack::object&) {
  supervisor_.kill_all();
  reply(command, ok_status());
}

void CommandHandler::get_state(const Command& command, const msgpack::object&) {
  const bus::ReplyHeader header{bus::kVersion, command.id, true, std::nullopt, machine_};
  const bus::StateResult result{supervisor_.states()};
  publish_(bus::reply_topic(command.reply_to),
           bus::pack_with(header, "result", [&](auto& pk) { proto::pack_message(pk, result); }));
}

void CommandHandler::tail(const Command& command, const msgpack::object& args) {
  auto request = proto::decode<bus::TailArgs>(args);
  if (!request) return reply(command, Error{"tail: " + request.error().message});
  auto tail = supervisor_.log_tail(request->app, request->lines, request->since);
  if (!tail) return reply(command, tail.error());
  const bus::ReplyHeader header{bus::kVersion, command.id, true, std::nullopt, machine_};
  const LogStream& stream = supervisor_.log_stream();
  const bus::TailResult result{std::move(tail->lines), tail->truncated,
                               stream.next_seq(request->app), stream.stream(), request->since};
  publish_(bus::reply_topic(command.reply_to),
           bus::pack_with(header, "result", [&](auto& pk) { proto::pack_message(pk, result); }));
}

void CommandHandler::reply(const Command& command, const Status& status) {
  bus::ReplyHeader header{bus::kVersion, command.id, status.ok(), std::nullopt, machine_};
  if (!status) {
    header.error = status.error().message;
    spdlog::warn("command {} {} failed: {}", command.id, command.op, status.error().message);
  }
  publish_(bus::reply_topic(command.reply_to), proto::pack_to_string(header));
}

}  // namespace baton::node
