#pragma once
// One way for every Baton program to parse its command line with CLI11: help and version print and
// exit 0, a usage error prints CLI11's message and exits 2.
#include <CLI/CLI.hpp>
#include <optional>

namespace baton {

inline constexpr int kUsageExitCode = 2;

// Parses argv into `app`'s options. Returns nothing when the program should go on, or the exit
// code it should return now (after --help, --version or a usage error, all already printed).
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    // CallForHelp, CallForAllHelp and CallForVersion are ParseErrors whose exit code is 0.
    const int code = app.exit(e);
    return code == 0 ? 0 : kUsageExitCode;
  }
}

}  // namespace baton
