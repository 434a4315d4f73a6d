#include "common/config/attribute_values.hpp"

#include <charconv>
#include <cmath>

namespace baton::config {

namespace {

std::string double_quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Reads one (possibly negative) int at the start of `text`; how many characters it took, 0 if none.
std::size_t read_int(std::string_view text, int& value) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc()) return 0;
  return static_cast<std::size_t>(end - text.data());
}

Expected<ExitCodeRange> parse_exit_code_item(std::string_view item) {
  const Error not_code{double_quoted(item) + " is not an exit code or a range of them"};
  ExitCodeRange range;
  std::size_t used = read_int(item, range.first);
  if (used == 0) return not_code;
  range.last = range.first;
  if (used < item.size()) {
    if (item[used] != '-') return not_code;
    const std::string_view rest = item.substr(used + 1);
    if (read_int(rest, range.last) != rest.size() || rest.empty()) return not_code;
    if (range.last < range.first) return Error{"range " + double_quoted(item) + " is reversed"};
  }
  return range;
}

}  // namespace

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

Expected<bool> parse_flag(std::string_view text) {
  const std::string_view t = trim(text);
  if (t == "1" || equals_ignoring_case(t, "true")) return true;
  if (t == "0" || equals_ignoring_case(t, "false")) return false;
  return Error{double_quoted(text) + " is not 0 or 1"};
}

Expected<int> parse_int(std::string_view text) {
  const std::string_view t = trim(text);
  int value = 0;
  if (t.empty() || read_int(t, value) != t.size())
    return Error{double_quoted(text) + " is not an integer"};
  return value;
}

Expected<double> parse_number(std::string_view text) {
  const std::string_view t = trim(text);
  double value = 0;
  const auto [end, ec] =
      std::from_chars(t.data(), t.data() + t.size(), value, std::chars_format::fixed);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size() || !std::isfinite(value)) {
    return Error{double_quoted(text) + " is not a number"};
  }
  return value == 0 ? 0.0 : value;  // "-0" is 0, so equal definitions pack equal
}

Expected<double> parse_seconds(std::string_view text) {
  auto value = parse_number(text);
  if (!value) return Error{double_quoted(text) + " is not a number of seconds"};
  if (*value < 0) return Error{double_quoted(text) + " is negative"};
  if (*value > kMaxSeconds) return Error{double_quoted(text) + " is more than 1e9 seconds"};
  return value;
}

Expected<std::vector<ExitCodeRange>> parse_exit_codes(std::string_view text) {
  std::vector<ExitCodeRange> ranges;
  for (const std::string& item : split_list(text, ',')) {
    auto range = parse_exit_code_item(item);
    if (!range) return range.error();
    ranges.push_back(*range);
  }
  if (ranges.empty()) return Error{double_quoted(text) + " lists no exit code"};
  return normalize_exit_codes(std::move(ranges));
}

Expected<std::optional<InitDetectors>> parse_init_condition(std::string_view text) {
  const std::string_view t = trim(text);
  if (t.empty()) return std::optional<InitDetectors>{};
  std::size_t name_end = 0;
  while (name_end < t.size() && !is_space(t[name_end]))
    ++name_end;
  const std::string_view name = t.substr(0, name_end);
  const std::string_view args = trim(t.substr(name_end));
  InitDetectors detectors;
  if (equals_ignoring_case(name, "timeout")) {
    auto seconds = parse_seconds(args);
    if (!seconds) return Error{"timeout " + seconds.error().message};
    detectors.timeout_s = *seconds;
  } else if (equals_ignoring_case(name, "exitcode")) {
    auto codes = parse_exit_codes(args);
    if (!codes) return Error{"exitcode " + codes.error().message};
    detectors.exit_codes = std::move(codes).value();
  } else if (equals_ignoring_case(name, "heartbeat")) {
    if (!args.empty()) return Error{"heartbeat takes no argument, got " + double_quoted(args)};
    detectors.heartbeat = true;
  } else {
    return Error{double_quoted(text) + " names no init detector (timeout, exitcode, heartbeat)"};
  }
  return std::optional<InitDetectors>{std::move(detectors)};
}

std::vector<std::string> split_list(std::string_view text, char separator) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view item = trim(text.substr(start, end - start));
    if (!item.empty()) items.emplace_back(item);
    start = end + 1;
  }
  return items;
}

}  // namespace baton::config
