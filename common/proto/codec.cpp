#include "common/proto/codec.hpp"

#include <algorithm>
#include <cstring>

namespace baton::proto {

Expected<msgpack::object> unpack_frame(msgpack::zone& zone, const void* data, std::size_t size,
                                       const msgpack::unpack_limit& limits) {
  if (size == 0) return Error{"empty frame"};
  // The unpacker allocates an array's or a map's items when it reads the count, before their
  // bytes: five bytes claiming a million items would cost tens of MiB before the frame turns out
  // truncated. No container holds more items than the frame has bytes (an item takes at least one
  // byte, a map entry two), so the limits shrink to the frame's size.
  const auto fits = [size](std::size_t limit, std::size_t bytes_per_item) {
    return std::min(limit, size / bytes_per_item);
  };
  const msgpack::unpack_limit bounded(fits(limits.array(), 1), fits(limits.map(), 2),
                                      fits(limits.str(), 1), fits(limits.bin(), 1),
                                      fits(limits.ext(), 1), limits.depth());
  try {
    std::size_t offset = 0;
    msgpack::object object = msgpack::unpack(zone, static_cast<const char*>(data), size, offset,
                                             nullptr, nullptr, bounded);
    if (offset != size) return Error{"trailing bytes after the message"};
    return object;
  } catch (const msgpack::insufficient_bytes&) {
    return Error{"truncated msgpack frame"};
  } catch (const msgpack::depth_size_overflow&) {  // derives from size_overflow: catch it first
    return Error{"msgpack frame nested too deeply"};
  } catch (const msgpack::size_overflow&) {
    return Error{"msgpack frame exceeds size limits"};
  } catch (const std::exception&) {
    return Error{"malformed msgpack frame"};
  }
}

const msgpack::object* find_key(const msgpack::object& map, std::string_view key) {
  if (map.type != msgpack::type::MAP) return nullptr;
  for (uint32_t i = 0; i < map.via.map.size; ++i) {
    const msgpack::object& k = map.via.map.ptr[i].key;
    if (k.type == msgpack::type::STR && k.via.str.size == key.size() &&
        std::memcmp(k.via.str.ptr, key.data(), key.size()) == 0) {
      return &map.via.map.ptr[i].val;
    }
  }
  return nullptr;
}

const msgpack::object& args_of(const msgpack::object& message) {
  static const msgpack::object kNoArgs = [] {
    msgpack::object empty;
    empty.type = msgpack::type::MAP;
    empty.via.map.size = 0;
    empty.via.map.ptr = nullptr;
    return empty;
  }();
  const msgpack::object* args = find_key(message, "args");
  return args == nullptr || args->type == msgpack::type::NIL ? kNoArgs : *args;
}

}  // namespace baton::proto
