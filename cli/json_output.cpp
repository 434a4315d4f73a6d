#include "cli/json_output.hpp"

#include <cstdint>
#include <vector>

#include "cli/bus_message.hpp"

namespace baton::cli {

Json to_json(const msgpack::object& object) {
  switch (object.type) {
    case msgpack::type::NIL:
      return nullptr;
    case msgpack::type::BOOLEAN:
      return object.via.boolean;
    case msgpack::type::POSITIVE_INTEGER:
      return object.via.u64;
    case msgpack::type::NEGATIVE_INTEGER:
      return object.via.i64;
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      return object.via.f64;
    case msgpack::type::STR:
      return std::string(object.via.str.ptr, object.via.str.size);
    case msgpack::type::BIN: {
      const auto* bytes = reinterpret_cast<const std::uint8_t*>(object.via.bin.ptr);
      return Json::binary(std::vector<std::uint8_t>(bytes, bytes + object.via.bin.size));
    }
    case msgpack::type::EXT: {
      const auto* bytes = reinterpret_cast<const std::uint8_t*>(object.via.ext.data());
      return Json::binary(std::vector<std::uint8_t>(bytes, bytes + object.via.ext.size),
                          static_cast<std::uint8_t>(object.via.ext.type()));
    }
    case msgpack::type::ARRAY: {
      Json array = Json::array();
      for (std::uint32_t i = 0; i < object.via.array.size; ++i)
        array.push_back(to_json(object.via.array.ptr[i]));
      return array;
    }
    case msgpack::type::MAP: {
      Json map = Json::object();
      for (std::uint32_t i = 0; i < object.via.map.size; ++i) {
        const msgpack::object_kv& kv = object.via.map.ptr[i];
        std::string key = kv.key.type == msgpack::type::STR
                              ? std::string(kv.key.via.str.ptr, kv.key.via.str.size)
                              : dump_json(to_json(kv.key));
        map[key] = to_json(kv.val);
      }
      return map;
    }
  }
  return nullptr;
}

std::string dump_json(const Json& value, int indent) {
  return value.dump(indent, ' ', false, Json::error_handler_t::replace);
}

Expected<Json> bus_message_json(std::string_view topic, const msgpack::object& payload) {
  auto message = decode_bus_message(topic, payload);
  if (!message) return message.error();
  Json out =
      payload.type == msgpack::type::MAP ? to_json(payload) : Json{{"payload", to_json(payload)}};
  out["topic"] = std::string(topic);
  return out;
}

}  // namespace baton::cli
