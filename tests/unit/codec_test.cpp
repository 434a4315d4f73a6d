// The generic field-table codec: round trips, required fields, wrong types, garbage.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "common/proto/codec.hpp"
#include "common/proto/enum_names.hpp"

namespace baton::proto {
namespace {

struct Sample {
  std::string name;
  std::int64_t count = 0;
  std::optional<std::string> note;
  std::vector<std::string> tags;
  static constexpr auto kFields =
      std::make_tuple(required("name", &Sample::name), required("count", &Sample::count),
                      optional("note", &Sample::note), optional("tags", &Sample::tags));
};

TEST(Codec, RoundTripKeepsEveryField) {
  Sample in{"x", -42, "hello", {"a", "b"}};
  std::string frame = pack_to_string(in);
  auto out = decode_frame<Sample>(frame.data(), frame.size());
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->name, "x");
  EXPECT_EQ(out->count, -42);
  EXPECT_EQ(out->note, "hello");
  EXPECT_EQ(out->tags, (std::vector<std::string>{"a", "b"}));
}

TEST(Codec, EmptyOptionalIsLeftOutOfTheMap) {
  Sample in{"x", 1, std::nullopt, {}};
  std::string frame = pack_to_string(in);
  msgpack::object_handle handle = msgpack::unpack(frame.data(), frame.size());
  ASSERT_EQ(handle.get().type, msgpack::type::MAP);
  EXPECT_EQ(handle.get().via.map.size, 3u);  // name, count, tags
  EXPECT_EQ(find_key(handle.get(), "note"), nullptr);
}

// Packs a map of hand-picked keys and values, to build what our own encoder would never send.
template <class... KV>
std::string pack_map(const KV&... kv) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_map(sizeof...(KV));
  (pk.pack(kv.first).pack(kv.second), ...);
  return std::string(buffer.data(), buffer.size());
}

TEST(Codec, MissingRequiredFieldIsAnError) {
  std::string frame = pack_map(std::pair{"name", "x"});
  auto out = decode_frame<Sample>(frame.data(), frame.size());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "missing field 'count'");
}

// Five bytes that claim a million items must not make the unpacker allocate for a million items:
// no container can hold more items than the frame has bytes.
TEST(Codec, CountsBeyondTheFrameSizeAreRefused) {
  const std::string frame("\xdd\x00\x0f\x42\x40", 5);  // array32 of 1,000,000 items, none there
  msgpack::zone zone;
  auto out = unpack_frame(zone, frame.data(), frame.size(), bulk_frame_limits());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "msgpack frame exceeds size limits");
}

TEST(Codec, WrongTypeIsAnError) {
  std::string frame = pack_map(std::pair{"name", "x"}, std::pair{"count", "many"});
  auto out = decode_frame<Sample>(frame.data(), frame.size());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "field 'count' has the wrong type");
}

TEST(Codec, UnknownKeysAreIgnored) {
  std::string frame =
      pack_map(std::pair{"name", "x"}, std::pair{"count", 3}, std::pair{"future", true});
  auto out = decode_frame<Sample>(frame.data(), frame.size());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->count, 3);
}

TEST(Codec, GarbageNeverThrows) {
  const std::vector<std::string> inputs = {
      "",
      std::string("\xc1", 1),                  // never-used msgpack byte
      std::string("\xdf\xff\xff\xff\xff", 5),  // map32 claiming 4 billion entries
      std::string("\x92\x01", 2),              // truncated array
      "plain text is not msgpack",
      std::string(64, '\x91') + "\x01",  // nested deeper than the limit
      std::string("\x81\xa4name\xa1x", 8) + "trailing",
  };
  for (const auto& input : inputs) {
    auto out = decode_frame<Sample>(input.data(), input.size());
    EXPECT_FALSE(out.ok()) << "accepted garbage of size " << input.size();
  }
}

TEST(Codec, FuzzedBytesNeverThrow) {
  // Bounded: 20,000 random frames derived from a valid one.
  std::string valid = pack_to_string(Sample{"name", 7, "n", {"t"}});
  std::mt19937 rng(12345);
  for (int i = 0; i < 20'000; ++i) {
    std::string frame = valid;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f)
      frame[rng() % frame.size()] = static_cast<char>(rng());
    if (rng() % 3 == 0) frame.resize(rng() % frame.size());
    EXPECT_NO_THROW((void)decode_frame<Sample>(frame.data(), frame.size()));
  }
}

}  // namespace
}  // namespace baton::proto

namespace baton::proto {
namespace {

struct Inner {
  std::string name;
  std::int64_t size = 0;
  static constexpr auto kFields =
      std::make_tuple(required("name", &Inner::name), required("size", &Inner::size));
};
struct Outer {
  std::vector<Inner> items;
  std::optional<Inner> extra;
  static constexpr auto kFields =
      std::make_tuple(required("items", &Outer::items), optional("extra", &Outer::extra));
};

TEST(Codec, NestedMessagesRoundTrip) {
  Outer in{{{"a", 1}, {"b", 2}}, Inner{"c", 3}};
  std::string frame = pack_to_string(in);
  auto out = decode_frame<Outer>(frame.data(), frame.size());
  ASSERT_TRUE(out.ok()) << out.error().message;
  ASSERT_EQ(out->items.size(), 2u);
  EXPECT_EQ(out->items[1].name, "b");
  EXPECT_EQ(out->extra->size, 3);
}

TEST(Codec, BrokenNestedMessageNamesTheOuterField) {
  // An item without its required "size".
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_map(1).pack("items").pack_array(1).pack_map(1).pack("name").pack("a");
  auto out = decode_frame<Outer>(buffer.data(), buffer.size());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "field 'items': missing field 'size'");
}

}  // namespace
}  // namespace baton::proto

namespace baton::proto {
namespace {

enum class Colour { red, light_green };
inline constexpr NameTable<Colour, 2> kColourNames{
    {{Colour::red, "red"}, {Colour::light_green, "LightGreen"}}};
constexpr const auto& name_table(Colour) {
  return kColourNames;
}
static_assert(in_declaration_order(kColourNames));

struct Paint {
  Colour colour = Colour::red;
  std::optional<Colour> trim;
  static constexpr auto kFields =
      std::make_tuple(required("colour", &Paint::colour), optional("trim", &Paint::trim));
};

TEST(Codec, NamedEnumsTravelAsTheirNames) {
  const std::string frame = pack_to_string(Paint{Colour::light_green, Colour::red});
  msgpack::object_handle handle = msgpack::unpack(frame.data(), frame.size());
  using Names = std::map<std::string, std::string>;
  const Names expected{{"colour", "LightGreen"}, {"trim", "red"}};
  EXPECT_EQ(handle.get().as<Names>(), expected);
  auto out = decode_frame<Paint>(frame.data(), frame.size());
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ(out->colour, Colour::light_green);
  EXPECT_EQ(out->trim, Colour::red);
  EXPECT_EQ(parse_name<Colour>("lightgreen"), std::nullopt) << "names are case-sensitive";
  EXPECT_EQ(all_names<Colour>(), (std::vector<std::string>{"red", "LightGreen"}));
}

TEST(Codec, AnUnknownEnumNameIsAnErrorNamingTheField) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_map(1).pack("colour").pack("blue");
  auto out = decode_frame<Paint>(buffer.data(), buffer.size());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "field 'colour': unknown value 'blue'");
  msgpack::sbuffer number;
  msgpack::packer<msgpack::sbuffer> pk2(number);
  pk2.pack_map(1).pack("colour").pack(1);
  auto wrong = decode_frame<Paint>(number.data(), number.size());
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message, "field 'colour' has the wrong type");
}

}  // namespace
}  // namespace baton::proto
