#include "common/config/app_def.hpp"

#include <algorithm>
#include <utility>

namespace baton::config {

namespace {

bool is_forbidden_in_id(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7f || c == '/' || c == ';' || c == '@' || c == '%';
}

bool is_valid_id_part(std::string_view part) {
  return !part.empty() && std::none_of(part.begin(), part.end(), is_forbidden_in_id);
}

}  // namespace

Expected<AppId> parse_app_id(std::string_view text, std::string_view default_machine) {
  if (text.size() > kMaxAppIdLength) {
    return Error{"\"" + std::string(text.substr(0, 32)) + "...\" is longer than the " +
                 std::to_string(kMaxAppIdLength) + " characters an app id may have"};
  }
  const std::string quoted = "\"" + std::string(text) + "\"";
  const std::size_t dot = text.find('.');
  if (dot == std::string_view::npos && default_machine.empty()) {
    return Error{quoted + " is not machine.app"};
  }
  AppId id;
  if (dot == std::string_view::npos) {
    id.machine = std::string(default_machine);
    id.app = std::string(text);
  } else {
    id.machine = std::string(text.substr(0, dot));
    id.app = std::string(text.substr(dot + 1));
  }
  if (id.machine.empty() || id.app.empty()) return Error{quoted + " is not machine.app"};
  if (id.machine.size() > kMaxAppIdPartLength || id.app.size() > kMaxAppIdPartLength) {
    return Error{quoted + ": its machine and its app may have at most " +
                 std::to_string(kMaxAppIdPartLength) + " characters each"};
  }
  if (!is_valid_id_part(id.machine) || !is_valid_id_part(id.app)) {
    return Error{quoted + " holds a character not allowed in an app id (white space, / ; @ %)"};
  }
  return id;
}

bool InitDetectors::exit_code_matches(int code) const {
  return std::any_of(exit_codes.begin(), exit_codes.end(),
                     [&](const ExitCodeRange& r) { return r.first <= code && code <= r.last; });
}

void InitDetectors::merge(const InitDetectors& other) {
  if (other.timeout_s && (!timeout_s || *other.timeout_s < *timeout_s)) timeout_s = other.timeout_s;
  exit_codes.insert(exit_codes.end(), other.exit_codes.begin(), other.exit_codes.end());
  exit_codes = normalize_exit_codes(std::move(exit_codes));
  heartbeat = heartbeat || other.heartbeat;
}

std::vector<ExitCodeRange> normalize_exit_codes(std::vector<ExitCodeRange> ranges) {
  std::sort(ranges.begin(), ranges.end(), [](const ExitCodeRange& a, const ExitCodeRange& b) {
    return std::tie(a.first, a.last) < std::tie(b.first, b.last);
  });
  std::vector<ExitCodeRange> joined;
  for (const ExitCodeRange& r : ranges) {
    // 64-bit arithmetic: last + 1 must not overflow for INT_MAX.
    if (!joined.empty() &&
        static_cast<std::int64_t>(r.first) <= static_cast<std::int64_t>(joined.back().last) + 1) {
      joined.back().last = std::max(joined.back().last, r.last);
    } else {
      joined.push_back(r);
    }
  }
  return joined;
}

Status check_decoded(const AppDef& app) {
  auto check_id = [](const AppId& id) -> Status {
    auto parsed = parse_app_id(id.to_string());
    if (!parsed) return parsed.error();
    if (*parsed != id) return Error{"\"" + id.to_string().substr(0, 64) + "\" is not machine.app"};
    return ok_status();
  };
  if (auto checked = check_id(app.id()); !checked) {
    return Error{"app id " + checked.error().message};
  }
  for (const AppId& dependency : app.dependencies) {
    if (auto checked = check_id(dependency); !checked) {
      return Error{"dependency " + checked.error().message};
    }
  }
  const std::pair<const char*, std::optional<double>> durations[] = {
      {"restart_delay_s", app.restart_delay_s},
      {"separation_interval_s", app.separation_interval_s},
      {"min_killing_time_s", app.min_killing_time_s},
      {"soft_kill_timeout_s", app.soft_kill_timeout_s},
      {"init_detectors.timeout_s", app.init_detectors.timeout_s},
  };
  for (const auto& [name, seconds] : durations) {
    // Written so that NaN fails too.
    if (seconds && !(*seconds >= 0 && *seconds <= kMaxSeconds)) {
      return Error{std::string("field '") + name + "' is not a number of seconds from 0 to 1e9"};
    }
  }
  for (const ExitCodeRange& range : app.init_detectors.exit_codes) {
    if (range.first > range.last) return Error{"an exit code range is reversed"};
  }
  return ok_status();
}

std::uint64_t fingerprint(const AppDef& app) {
  const std::string packed = proto::pack_to_string(app);
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  for (unsigned char c : packed) {
    hash ^= c;
    hash *= 0x100000001b3ULL;  // FNV-1a 64 prime
  }
  return hash;
}

}  // namespace baton::config
