// Daemon logging: one line per event on stderr, through spdlog.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace baton {

// Sets the process-wide logger: "2026-11-24T12:00:00.123 info node[m1]: message".
void init_logging(std::string_view daemon_name,
                  spdlog::level::level_enum level = spdlog::level::info);

}  // namespace baton
