// Reading what a process wrote (its log, a state file) without failing when it is not there yet.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace baton::harness {

std::string read_file(const std::string& path);  // "" when missing
// How many times `part` occurs in `text` (overlapping occurrences too).
std::size_t count_occurrences(const std::string& text, const std::string& part);
// The non-empty lines of a file.
std::vector<std::string> read_lines(const std::string& path);
bool file_exists(const std::string& path);

}  // namespace baton::harness
