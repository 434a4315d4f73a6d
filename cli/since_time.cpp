#include "cli/since_time.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>

namespace baton::cli {

namespace {

// Exactly `width` digits at `pos` (moved past them).
std::optional<int> fixed_digits(std::string_view text, std::size_t& pos, std::size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  pos += width;
  return value;
}

bool skip(std::string_view text, std::size_t& pos, char expected) {
  if (pos >= text.size() || text[pos] != expected) return false;
  ++pos;
  return true;
}

// "90s", "10m", "2h", "1d" and sums of them such as "1h30m", in seconds.
std::optional<double> duration_seconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double total = 0;
  const char* at = text.data();
  const char* const end = text.data() + text.size();
  while (at != end) {
    std::uint32_t count = 0;
    const auto [after, error] = std::from_chars(at, end, count);
    if (error != std::errc() || after == end) return std::nullopt;
    switch (*after) {
      case 's':
        total += count;
        break;
      case 'm':
        total += count * 60.0;
        break;
      case 'h':
        total += count * 3600.0;
        break;
      case 'd':
        total += count * 86400.0;
        break;
      default:
        return std::nullopt;
    }
    at = after + 1;
  }
  return total;
}

// "YYYY-MM-DDTHH:MM[:SS]", or "HH:MM[:SS]" on the day of `now`, in local time.
std::optional<double> local_time(std::string_view text, double now) {
  std::tm fields{};
  std::size_t pos = 0;
  if (text.size() > 10 && text[10] == 'T') {
    const auto year = fixed_digits(text, pos, 4);
    const bool dash1 = skip(text, pos, '-');
    const auto month = fixed_digits(text, pos, 2);
    const bool dash2 = skip(text, pos, '-');
    const auto day = fixed_digits(text, pos, 2);
    if (!year || !dash1 || !month || !dash2 || !day || !skip(text, pos, 'T')) return std::nullopt;
    if (*month < 1 || *month > 12 || *day < 1 || *day > 31) return std::nullopt;
    fields.tm_year = *year - 1900;
    fields.tm_mon = *month - 1;
    fields.tm_mday = *day;
  } else {
    const auto today = static_cast<std::time_t>(std::floor(now));
    if (localtime_r(&today, &fields) == nullptr) return std::nullopt;
  }
  const auto hour = fixed_digits(text, pos, 2);
  if (!hour || !skip(text, pos, ':')) return std::nullopt;
  const auto minute = fixed_digits(text, pos, 2);
  std::optional<int> second = 0;
  if (pos < text.size()) {
    if (!skip(text, pos, ':')) return std::nullopt;
    second = fixed_digits(text, pos, 2);
  }
  if (!minute || !second || pos != text.size()) return std::nullopt;
  if (*hour > 23 || *minute > 59 || *second > 59) return std::nullopt;
  fields.tm_hour = *hour;
  fields.tm_min = *minute;
  fields.tm_sec = *second;
  fields.tm_isdst = -1;  // whichever is in force on that day
  std::tm normalized = fields;
  const std::time_t time = std::mktime(&normalized);
  // mktime moves a day that does not exist (February 30) into the next month: refuse it instead.
  if (normalized.tm_year != fields.tm_year || normalized.tm_mon != fields.tm_mon ||
      normalized.tm_mday != fields.tm_mday) {
    return std::nullopt;
  }
  return static_cast<double>(time);
}

}  // namespace

Expected<double> parse_since(std::string_view text, double now) {
  if (auto seconds = duration_seconds(text)) return now - *seconds;
  if (auto time = local_time(text, now)) return *time;
  return Error{"'" + std::string(text) + "' is not a time: use " + std::string(kSinceForms)};
}

}  // namespace baton::cli
