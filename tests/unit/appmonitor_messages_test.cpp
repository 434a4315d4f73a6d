// Application monitor messages: each encodes as schemas/appmonitor/*.json says and decodes back;
// each kind of bad request gets its error code.
#include <gtest/gtest.h>

#include "common/proto/appmonitor.hpp"

namespace baton::proto::appmonitor {
namespace {

template <class T>
T round_trip(const T& in) {
  std::string frame = pack_to_string(in);
  auto out = decode_frame<T>(frame.data(), frame.size());
  EXPECT_TRUE(out.ok()) << out.error().message;
  return out.ok() ? *out : T{};
}

RegisterRequest valid_register() {
  RegisterRequest r;
  r.pid = 1234;
  r.timeout_ms = 5000;
  r.action = "restart";
  r.restart_command = "systemctl restart myapp";
  return r;
}

TEST(AppMonitorMessages, RegisterRoundTrip) {
  RegisterRequest out = round_trip(valid_register());
  EXPECT_EQ(out.op, "register");
  EXPECT_EQ(out.v, 1);
  EXPECT_EQ(out.pid, 1234);
  EXPECT_EQ(out.timeout_ms, 5000);
  EXPECT_EQ(out.action, "restart");
  EXPECT_EQ(out.restart_command, "systemctl restart myapp");
  EXPECT_FALSE(out.app.has_value());
}

TEST(AppMonitorMessages, RepliesRoundTrip) {
  EXPECT_EQ(round_trip(RegisterReply{true, 0xdeadbeefcafeULL}).id, 0xdeadbeefcafeULL);
  EXPECT_EQ(round_trip(RefreshReply{true, 99}).seq, 99u);
  EXPECT_TRUE(round_trip(OkReply{}).ok);
  ErrorReply error = round_trip(ErrorReply{false, "nope", "refused"});
  EXPECT_FALSE(error.ok);
  EXPECT_EQ(error.error, "nope");
  EXPECT_EQ(error.code, "refused");
}

// The exact bytes of the schema examples (schemas/appmonitor/refresh.json).
TEST(AppMonitorMessages, RefreshMatchesSchemaExample) {
  RefreshRequest r;
  r.id = 7;
  r.seq = 3;
  std::string frame = pack_to_string(r);
  msgpack::object_handle h = msgpack::unpack(frame.data(), frame.size());
  const msgpack::object& map = h.get();
  ASSERT_EQ(map.type, msgpack::type::MAP);
  EXPECT_EQ(map.via.map.size, 3u);
  EXPECT_EQ(find_key(map, "op")->as<std::string>(), "refresh");
  EXPECT_EQ(find_key(map, "id")->as<std::uint64_t>(), 7u);
  EXPECT_EQ(find_key(map, "seq")->as<std::uint64_t>(), 3u);
}

Expected<Request> decode(const std::string& frame) {
  return decode_request(frame.data(), frame.size());
}

TEST(AppMonitorMessages, DecodeRequestDispatchesOnOp) {
  auto reg = decode(pack_to_string(valid_register()));
  ASSERT_TRUE(reg.ok()) << reg.error().message;
  EXPECT_TRUE(std::holds_alternative<RegisterRequest>(*reg));
  auto refresh = decode(pack_to_string(RefreshRequest{"refresh", 1, 2}));
  ASSERT_TRUE(refresh.ok());
  EXPECT_TRUE(std::holds_alternative<RefreshRequest>(*refresh));
  auto unregister = decode(pack_to_string(UnregisterRequest{"unregister", 1}));
  ASSERT_TRUE(unregister.ok());
  EXPECT_TRUE(std::holds_alternative<UnregisterRequest>(*unregister));
}

std::string code_of(const std::string& frame) {
  auto r = decode(frame);
  return r.ok() ? "ok" : r.error().code;
}

TEST(AppMonitorMessages, RefreshManyCarriesOneToAThousandAndTwentyFourIds) {
  auto many = decode(pack_to_string(RefreshManyRequest{"refresh_many", {5, 6, ~0ULL}, 9}));
  ASSERT_TRUE(many.ok()) << many.error().message;
  ASSERT_TRUE(std::holds_alternative<RefreshManyRequest>(*many));
  EXPECT_EQ(std::get<RefreshManyRequest>(*many).ids, (std::vector<std::uint64_t>{5, 6, ~0ULL}));
  EXPECT_EQ(std::get<RefreshManyRequest>(*many).seq, 9u);

  RefreshManyRequest largest{"refresh_many", std::vector<std::uint64_t>(kMaxRefreshIds, ~0ULL), 1};
  const std::string frame = pack_to_string(largest);
  EXPECT_LE(frame.size(), static_cast<std::size_t>(kMaxFrameBytes));  // the socket lets it in
  EXPECT_EQ(code_of(frame), "ok");

  auto empty = decode(pack_to_string(RefreshManyRequest{"refresh_many", {}, 1}));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, "bad_request");
  EXPECT_NE(empty.error().message.find("1 to 1024"), std::string::npos) << empty.error().message;
  // One more than the codec's array limit: refused while unpacking, before any vector is built.
  largest.ids.push_back(1);
  EXPECT_EQ(code_of(pack_to_string(largest)), "malformed");

  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_map(3).pack("op").pack("refresh_many").pack("seq").pack(1).pack("ids");
  pk.pack_array(2).pack(5).pack(-1);  // a negative id
  EXPECT_EQ(code_of(std::string(buffer.data(), buffer.size())), "bad_request");
  buffer.clear();
  pk.pack_map(3).pack("op").pack("refresh_many").pack("seq").pack(1).pack("ids").pack(5);
  EXPECT_EQ(code_of(std::string(buffer.data(), buffer.size())), "bad_request");  // not a list
  buffer.clear();
  pk.pack_map(2).pack("op").pack("refresh_many").pack("ids");
  pk.pack_array(1).pack(5);
  EXPECT_EQ(code_of(std::string(buffer.data(), buffer.size())), "bad_request");  // no seq
}

TEST(AppMonitorMessages, BadRequestsGetTheirCodes) {
  EXPECT_EQ(code_of("garbage"), "malformed");
  EXPECT_EQ(code_of(std::string("\x93\x01\x02\x03", 4)), "malformed");  // an array, not a map
  EXPECT_EQ(code_of(pack_to_string(OkReply{})), "bad_request");         // no op
  UnregisterRequest unknown{"explode", 1};
  EXPECT_EQ(code_of(pack_to_string(unknown)), "unknown_op");

  RegisterRequest r = valid_register();
  r.v = 2;
  EXPECT_EQ(code_of(pack_to_string(r)), "unsupported_version");
  r = valid_register();
  r.timeout_ms = 0;
  EXPECT_EQ(code_of(pack_to_string(r)), "bad_request");
  r = valid_register();
  r.action = "explode";
  EXPECT_EQ(code_of(pack_to_string(r)), "bad_request");
  r = valid_register();
  r.restart_command.reset();
  EXPECT_EQ(code_of(pack_to_string(r)), "bad_request");
  r = valid_register();
  r.restart_command = std::string(kMaxRestartCommand + 1, 'x');
  EXPECT_EQ(code_of(pack_to_string(r)), "bad_request");
  r = valid_register();
  r.pid = -5;
  EXPECT_EQ(code_of(pack_to_string(r)), "bad_request");
}

// A refresh is read without a zone when it is plain; every other shape must decode exactly as the
// general decoder decodes it (same request, or same error code).
TEST(AppMonitorMessages, RefreshFastPathAgreesWithTheGeneralDecoder) {
  auto map_of = [](const std::vector<std::pair<std::string, msgpack::object>>& entries) {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> pk(buffer);
    pk.pack_map(static_cast<std::uint32_t>(entries.size()));
    for (const auto& [key, value] : entries) {
      pk.pack(key);
      pk.pack(value);
    }
    return std::string(buffer.data(), buffer.size());
  };
  msgpack::zone zone;
  const msgpack::object refresh("refresh", zone), other("register", zone);
  const msgpack::object id(std::uint64_t{7}), seq(std::uint64_t{9}), negative(-1), nil;
  const msgpack::object number(std::uint64_t{1});

  const std::string largest = pack_to_string(RefreshRequest{"refresh", ~0ULL, 1ULL << 40});
  auto plain = decode_request(largest.data(), largest.size());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(std::get<RefreshRequest>(*plain).id, ~0ULL);
  EXPECT_EQ(std::get<RefreshRequest>(*plain).seq, 1ULL << 40);

  // Key order does not matter; an extra key is ignored, as by the general decoder.
  const std::string shuffled = map_of({{"seq", seq}, {"id", id}, {"op", refresh}});
  auto reordered = decode_request(shuffled.data(), shuffled.size());
  ASSERT_TRUE(reordered.ok());
  EXPECT_EQ(std::get<RefreshRequest>(*reordered).id, 7u);
  EXPECT_EQ(std::get<RefreshRequest>(*reordered).seq, 9u);
  const std::string extra = map_of({{"op", refresh}, {"id", id}, {"seq", seq}, {"x", nil}});
  auto with_extra = decode_request(extra.data(), extra.size());
  ASSERT_TRUE(with_extra.ok());
  EXPECT_EQ(std::get<RefreshRequest>(*with_extra).seq, 9u);

  // Refused shapes keep the general decoder's codes.
  EXPECT_EQ(code_of(map_of({{"op", refresh}, {"id", negative}, {"seq", seq}})), "bad_request");
  EXPECT_EQ(code_of(map_of({{"op", refresh}, {"id", nil}, {"seq", seq}})), "bad_request");
  EXPECT_EQ(code_of(map_of({{"op", refresh}, {"id", id}, {"id", seq}})), "bad_request");
  EXPECT_EQ(code_of(map_of({{"op", number}, {"id", id}, {"seq", seq}})), "bad_request");
  EXPECT_EQ(code_of(map_of({{"op", other}, {"id", id}, {"seq", seq}})), "bad_request");
  const std::string trailing = pack_to_string(RefreshRequest{"refresh", 1, 2}) + "x";
  EXPECT_EQ(code_of(trailing), "malformed");
  const std::string cut = pack_to_string(RefreshRequest{"refresh", 1, 2});
  EXPECT_EQ(code_of(cut.substr(0, cut.size() - 1)), "malformed");

  // refresh_many takes the same path, with the same rules.
  const msgpack::object many("refresh_many", zone), text("7", zone);
  const msgpack::object two_ids(std::vector<std::uint64_t>{7, 8}, zone);
  const msgpack::object no_ids(std::vector<std::uint64_t>{}, zone);
  const msgpack::object nested(std::vector<std::vector<std::uint64_t>>{{7}}, zone);
  const msgpack::object signed_ids(std::vector<std::int64_t>{7, -8}, zone);
  const msgpack::object text_ids(std::vector<std::string>{"7"}, zone);
  const std::string many_shuffled = map_of({{"seq", seq}, {"ids", two_ids}, {"op", many}});
  auto decoded = decode_request(many_shuffled.data(), many_shuffled.size());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(std::get<RefreshManyRequest>(*decoded).ids, (std::vector<std::uint64_t>{7, 8}));
  EXPECT_EQ(std::get<RefreshManyRequest>(*decoded).seq, 9u);
  const std::string many_extra =
      map_of({{"op", many}, {"ids", two_ids}, {"seq", seq}, {"x", text}});
  auto extra_many = decode_request(many_extra.data(), many_extra.size());
  ASSERT_TRUE(extra_many.ok());
  EXPECT_EQ(std::get<RefreshManyRequest>(*extra_many).ids, (std::vector<std::uint64_t>{7, 8}));
  EXPECT_EQ(code_of(map_of({{"op", many}, {"ids", no_ids}, {"seq", seq}})), "bad_request");
  EXPECT_EQ(code_of(map_of({{"op", many}, {"ids", nested}, {"seq", seq}})), "bad_request");
  EXPECT_EQ(code_of(map_of({{"op", many}, {"ids", signed_ids}, {"seq", seq}})), "bad_request");
  EXPECT_EQ(code_of(map_of({{"op", many}, {"ids", text_ids}, {"seq", seq}})), "bad_request");
  EXPECT_EQ(code_of(map_of({{"op", many}, {"ids", id}, {"seq", seq}})), "bad_request");
  EXPECT_EQ(code_of(map_of({{"op", many}, {"id", id}, {"seq", seq}})), "bad_request");
  EXPECT_EQ(code_of(map_of({{"op", many}, {"ids", two_ids}, {"ids", two_ids}})), "bad_request");
  // The other op's id field does not turn a request into that op.
  EXPECT_EQ(code_of(map_of({{"op", refresh}, {"ids", two_ids}, {"seq", seq}})), "bad_request");
  const std::string whole = pack_to_string(RefreshManyRequest{"refresh_many", {1, 2, 3}, 2});
  EXPECT_EQ(code_of(whole + "x"), "malformed");
  EXPECT_EQ(code_of(whole.substr(0, whole.size() - 1)), "malformed");
}

TEST(AppMonitorMessages, ErrorMessagesSayWhatIsWrong) {
  RegisterRequest r = valid_register();
  r.action = "restart";
  r.restart_command.reset();
  auto out = decode(pack_to_string(r));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().message, "action \"restart\" needs a restart_command");
}

}  // namespace
}  // namespace baton::proto::appmonitor
