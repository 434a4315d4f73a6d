// The command line's --json output: wire messages as JSON with the wire's own field names, so that
// scripts read what schemas/ documents.
#pragma once

#include <msgpack.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "common/expected.hpp"

namespace baton::cli {

// Objects keep the order of the wire's fields, which schemas/ and the structs list meaningfully
// (machine, app, flags, ...), rather than sorting them.
using Json = nlohmann::ordered_json;

// Any msgpack value as JSON: maps with string keys become objects (other keys are written as
// their JSON text), bin and ext become nlohmann binary values, floats stay floats.
Json to_json(const msgpack::object& object);

// `value` as JSON text: one line, or indented by `indent` spaces per level. A peer's string that is
// not valid UTF-8 is printed with U+FFFD in place of the bad bytes rather than failing the output.
std::string dump_json(const Json& value, int indent = -1);

// A bus message [topic, payload] as one JSON object: the payload's fields and "topic". A payload
// of a known kind (status/, event/, node/, plan/) must decode as that message, so that --json
// and the human form accept the same messages; any other topic is converted as it is.
Expected<Json> bus_message_json(std::string_view topic, const msgpack::object& payload);

}  // namespace baton::cli
