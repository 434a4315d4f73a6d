// TIME of `baton logs --since TIME`: a duration ago or a local date and time, as the seconds since
// the epoch that the logs request carries.
#pragma once

#include <string_view>

#include "common/expected.hpp"

namespace baton::cli {

// The forms TIME takes, for --help and for the error a bad TIME gets.
inline constexpr std::string_view kSinceForms =
    "a duration ago (90s, 10m, 2h, 1d, 1h30m) or a local time (2024-05-01T14:30, "
    "2024-05-01T14:30:05, or 14:30 and 14:30:05 for today)";

// TIME in seconds since the epoch. `now` (in the same unit) is what a duration counts back from
// and whose day a bare time of day is on. A time still to come is no error: no output is since
// then yet.
Expected<double> parse_since(std::string_view text, double now);

}  // namespace baton::cli
