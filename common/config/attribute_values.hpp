// Text of SharedConfig.xml attributes and elements to typed values. Each parser takes the text as
// written (surrounding white space allowed) and returns the value, or an Error whose message says
// what is wrong with the text; the reader adds file, line and attribute.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/app_def.hpp"
#include "common/expected.hpp"

namespace baton::config {

std::string_view trim(std::string_view text);

// "0"/"1" (also "false"/"true", any case, as xs:boolean): RestartOnCrash, Volatile, KillTree...
Expected<bool> parse_flag(std::string_view text);

// A decimal integer: StartupOrder, maxTries.
Expected<int> parse_int(std::string_view text);

// A finite decimal number with a '.' decimal point, whatever the locale; no exponent.
Expected<double> parse_number(std::string_view text);

// parse_number from 0 to kMaxSeconds: SeparationInterval, MinKillingTime, delay, Timeout.
Expected<double> parse_seconds(std::string_view text);

// "0,2,5-7": codes and inclusive ranges, which may be negative ("-4--1"); empty items are
// skipped but at least one code is needed. Returned sorted and joined (normalize_exit_codes).
Expected<std::vector<ExitCodeRange>> parse_exit_codes(std::string_view text);

// InitCondition: "timeout 2.0", "exitcode 0,2", "heartbeat" (detector names in any case, as
// Dirigent reads them). An empty text is no condition: nullopt.
Expected<std::optional<InitDetectors>> parse_init_condition(std::string_view text);

// Splits on `separator`, trims every item and drops the empty ones ("m1.a; b;" -> {"m1.a","b"}).
std::vector<std::string> split_list(std::string_view text, char separator);

bool equals_ignoring_case(std::string_view a, std::string_view b);

}  // namespace baton::config
