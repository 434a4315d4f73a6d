#include "node/apps/command_handler.hpp"

#include "common/config/deploy.hpp"
#include "common/log.hpp"

namespace baton::node {

namespace bus = proto::bus;

CommandHandler::CommandHandler(std::string machine, AppSupervisor& supervisor, Publish publish)
    : machine_(std::move(machine)), supervisor_(supervisor), publish_(std::move(publish)) {}

void CommandHandler::handle(const void* data, std::size_t size) {
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
  const msgpack::object& args = proto::args_of(*object);
  const std::string& op = command->op;
  spdlog::debug("command {} {} from {}", command->id, op, command->reply_to);

  if (op == "launch" || op == "kill" || op == "restart") {
    auto app = proto::decode<bus::AppCommandArgs>(args);
    if (!app) return reply(*command, Error{op + ": " + app.error().message});
    if (op == "launch") return reply(*command, supervisor_.launch(app->app, app->plan));
    if (op == "kill")
      return reply(*command, supervisor_.kill(app->app, app->by_plan.value_or(false)));
    return reply(*command, supervisor_.restart(app->app));
  }
  if (op == "deploy") {
    auto deploy = proto::decode<config::DeployArgs>(args);
    if (!deploy) return reply(*command, Error{"deploy: " + deploy.error().message});
    const std::size_t count = deploy->apps.size();
    auto deployed = supervisor_.deploy(std::move(deploy->apps));
    if (deployed) spdlog::info("deployed {} app definitions", count);
    return reply(*command, deployed);
  }
  if (op == "set_vars") {
    auto vars = proto::decode<bus::SetVarsArgs>(args);
    if (!vars) return reply(*command, vars.error());
    supervisor_.set_vars(vars->vars->assignments);
    return reply(*command, ok_status());
  }
  if (op == "kill_all") {
    supervisor_.kill_all();
    return reply(*command, ok_status());
  }
  if (op == "get_state") return reply_with_state(*command);
  reply(*command, Error{"unknown command op '" + op.substr(0, 64) + "'"});
}

void CommandHandler::reply(const bus::CommandHeader& command, const Status& status) {
  bus::ReplyHeader header{bus::kVersion, command.id, status.ok(), std::nullopt, machine_};
  if (!status) {
    header.error = status.error().message;
    spdlog::warn("command {} {} failed: {}", command.id, command.op, status.error().message);
  }
  publish_(bus::reply_topic(command.reply_to), proto::pack_to_string(header));
}

void CommandHandler::reply_with_state(const bus::CommandHeader& command) {
  const bus::ReplyHeader header{bus::kVersion, command.id, true, std::nullopt, machine_};
  const bus::StateResult result{supervisor_.states()};
  publish_(bus::reply_topic(command.reply_to),
           bus::pack_with(header, "result", [&](auto& pk) { proto::pack_message(pk, result); }));
}

}  // namespace baton::node
