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
std::string usage_topic(std::string_view machine) {
  return join("usage/", machine);
}
std::string log_topic(std::string_view machine, std::string_view app) {
  return join(join(join(kLogPrefix, machine), join("/", app)), "/");
}
std::string log_machine_topic(std::string_view machine) {
  return join(join(kLogPrefix, machine), "/");
}

bool has_flag(const std::vector<std::string>& flags, AppFlag flag) {
  const std::string_view name = to_name(flag);
  return std::find(flags.begin(), flags.end(), name) != flags.end();
}

Status check_decoded(const SetVarsArgs& args) {
  if (!args.vars || args.vars->shape == Variables::Shape::not_a_map) {
    return Error{"set_vars needs a map 'vars' of names to values"};
  }
  // In the sender's order: a bad name before the first entry that is not strings is the error.
  for (const auto& [name, value] : args.vars->assignments) {
    if (name.empty() || name.find('=') != std::string::npos) {
      return Error{"set_vars: '" + name + "' is not a valid variable name"};
    }
  }
  if (args.vars->shape == Variables::Shape::not_all_strings) {
    return Error{"set_vars: every name and value must be a string"};
  }
  return ok_status();
}

}  // namespace baton::proto::bus

namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
  namespace adaptor {
  const msgpack::object& convert<baton::proto::bus::Variables>::operator()(
      const msgpack::object& object, baton::proto::bus::Variables& vars) const {
    using Shape = baton::proto::bus::Variables::Shape;
    vars = {};
    if (object.type != msgpack::type::MAP) {
      vars.shape = Shape::not_a_map;
      return object;
    }
    for (std::uint32_t i = 0; i < object.via.map.size; ++i) {
      const auto& kv = object.via.map.ptr[i];
      if (kv.key.type != msgpack::type::STR || kv.val.type != msgpack::type::STR) {
        vars.shape = Shape::not_all_strings;
        return object;
      }
      vars.assignments.emplace_back(std::string(kv.key.via.str.ptr, kv.key.via.str.size),
                                    std::string(kv.val.via.str.ptr, kv.val.via.str.size));
    }
    return object;
  }
  }  // namespace adaptor
}  // MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS)
}  // namespace msgpack
