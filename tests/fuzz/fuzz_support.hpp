// Shared by the libFuzzer targets of tests/fuzz: round-trip checks that abort (a crash libFuzzer
// reports with its input) when a decoded value does not survive encode -> decode unchanged.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "common/proto/codec.hpp"

namespace baton::fuzz {

[[noreturn]] inline void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "fuzz check failed: %s: %s\n", what, detail.c_str());
  std::abort();
}

// Packs `value`, decodes it back through the same path as untrusted input (unpack_frame with
// `limits`, then decode<T>) and packs it again: the decode must succeed and both encodings must be
// equal, so every field kept its value (compared as bytes, which NaN doubles survive too).
template <class T>
void check_round_trip(const T& value, const msgpack::unpack_limit& limits) {
  const std::string first = proto::pack_to_string(value);
  msgpack::zone zone;
  auto object = proto::unpack_frame(zone, first.data(), first.size(), limits);
  if (!object) fail("re-encoded value does not unpack", object.error().message);
  auto again = proto::decode<T>(*object);
  if (!again) fail("re-encoded value does not decode", again.error().message);
  if (proto::pack_to_string(*again) != first) fail("round trip", "the value changed");
}

}  // namespace baton::fuzz
