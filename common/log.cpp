#include "common/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>

#include <string>

namespace baton {

void init_logging(std::string_view daemon_name, spdlog::level::level_enum level) {
  // A plain (not colour) stderr sink: logs are usually redirected to files or journald.
  auto logger = spdlog::stderr_logger_st(std::string(daemon_name));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %n: %v");
  logger->set_level(level);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

}  // namespace baton
