#include "common/proto/bus.hpp"

#include <algorithm>

namespace baton::proto::bus {

namespace {
std::string join(std::string_view a, std::string_view b) {
  std::string out;
  out.reserve(a.size() + b.size());
  out.append(a);
  out.append(b);
  return out;
}
}  // namespace

std::string status_topic(std::string_view machine, std::string_view app) {
  return join(join("status/", machine), join("/", app));
}
std::string event_topic(std::string_view machine, std::string_view app) {
  return join(join("event/", machine), join("/", app));
}
std::string node_topic(std::string_view machine) {
  return join("node/", machine);
}
std::string plan_topic(std::string_view plan) {
  return join("plan/", plan);
}
std::string command_topic(std::string_view machine) {
  return join(join(kCommandPrefix, machine), "/");
}
std::string reply_topic(std::string_view client) {
  return join("reply/", client);
}

bool has_flag(const std::vector<std::string>& flags, AppFlag flag) {
  const std::string_view name = to_name(flag);
  return std::find(flags.begin(), flags.end(), name) != flags.end();
}

Expected<SetVarsArgs> decode_set_vars(const msgpack::object& args) {
  const msgpack::object* vars = find_key(args, "vars");
  if (vars == nullptr || vars->type != msgpack::type::MAP) {
    return Error{"set_vars needs a map 'vars' of names to values"};
  }
  SetVarsArgs out;
  for (std::uint32_t i = 0; i < vars->via.map.size; ++i) {
    const auto& kv = vars->via.map.ptr[i];
    if (kv.key.type != msgpack::type::STR || kv.val.type != msgpack::type::STR) {
      return Error{"set_vars: every name and value must be a string"};
    }
    std::string name(kv.key.via.str.ptr, kv.key.via.str.size);
    if (name.empty() || name.find('=') != std::string::npos) {
      return Error{"set_vars: '" + name + "' is not a valid variable name"};
    }
    out.vars.emplace_back(std::move(name), std::string(kv.val.via.str.ptr, kv.val.via.str.size));
  }
  return out;
}

std::string pack_set_vars(const CommandHeader& header, const SetVarsArgs& args) {
  return pack_with(header, "args", [&](auto& pk) {
    pk.pack_map(1);
    pk.pack(std::string_view("vars"));
    pk.pack_map(static_cast<std::uint32_t>(args.vars.size()));
    for (const auto& [k, v] : args.vars)
      pk.pack(k).pack(v);
  });
}

}  // namespace baton::proto::bus
