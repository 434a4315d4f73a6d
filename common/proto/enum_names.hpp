// Enums that travel by name. A wire word (a plan status, a lifecycle state in the state file) is an
// enum in code, so a misspelt one is a compile error rather than a comparison that is never true,
// and a name on the wire, so a reader of a message or a file sees words. Each enum has one name
// table, in declaration order, found by argument-dependent lookup:
//
//   enum class Colour { red, green };
//   inline constexpr NameTable<Colour, 2> kColourNames{{{Colour::red, "red"}, ...}};
//   constexpr const auto& name_table(Colour) { return kColourNames; }
//
// to_name() and parse_name() use it both ways, and the codec packs such an enum as its name and
// decodes only the names of its table (anything else is an error naming the field).
#pragma once

#include <msgpack.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/proto/codec.hpp"

namespace baton::proto {

template <class Enum, std::size_t N>
using NameTable = std::array<std::pair<Enum, std::string_view>, N>;

template <class Enum>
concept NamedEnum = std::is_enum_v<Enum> && requires(Enum e) {
  name_table(e);
};

// Row i names the enumerator of value i, so that to_name is an index: check it with
// static_assert(in_declaration_order(kColourNames)). Other tables by enum (a handler per op) too.
template <class Enum, class Value, std::size_t N>
constexpr bool in_declaration_order(const std::array<std::pair<Enum, Value>, N>& table) {
  for (std::size_t i = 0; i < N; ++i) {
    if (static_cast<std::size_t>(table[i].first) != i) return false;
  }
  return true;
}

template <NamedEnum Enum>
constexpr std::string_view to_name(Enum value) {
  const auto& table = name_table(value);
  const auto index = static_cast<std::size_t>(value);
  return index < table.size() ? table[index].second : std::string_view("?");
}

// How many enumerators a named enum has: the size of an array indexed by it.
template <NamedEnum Enum>
inline constexpr std::size_t kEnumCount =
    std::tuple_size_v<std::remove_cvref_t<decltype(name_table(std::declval<Enum>()))>>;

// Nothing for a name the table does not hold (names are case-sensitive, as on the wire).
template <NamedEnum Enum>
constexpr std::optional<Enum> parse_name(std::string_view name) {
  for (const auto& [value, value_name] : name_table(Enum{})) {
    if (value_name == name) return value;
  }
  return std::nullopt;
}

// The names of a table in declaration order (for --help texts, schemas and their tests).
template <NamedEnum Enum>
std::vector<std::string> all_names() {
  std::vector<std::string> names;
  for (const auto& row : name_table(Enum{}))
    names.emplace_back(row.second);
  return names;
}

}  // namespace baton::proto

namespace msgpack {
MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS) {
  namespace adaptor {
  template <baton::proto::NamedEnum Enum>
  struct pack<Enum> {
    template <class Stream>
    msgpack::packer<Stream>& operator()(msgpack::packer<Stream>& pk, Enum value) const {
      pk.pack(baton::proto::to_name(value));
      return pk;
    }
  };
  template <baton::proto::NamedEnum Enum>
  struct convert<Enum> {
    const msgpack::object& operator()(const msgpack::object& object, Enum& value) const {
      if (object.type != msgpack::type::STR) throw msgpack::type_error();
      const std::string_view name(object.via.str.ptr, object.via.str.size);
      auto parsed = baton::proto::parse_name<Enum>(name);
      if (!parsed) {
        throw baton::proto::NestedDecodeError("unknown value '" + std::string(name.substr(0, 64)) +
                                              "'");
      }
      value = *parsed;
      return object;
    }
  };
  }  // namespace adaptor
}  // MSGPACK_API_VERSION_NAMESPACE(MSGPACK_DEFAULT_API_NS)
}  // namespace msgpack
