// CmdLineArgs to argv without a shell: words split on white space, 'single quotes' keep
// everything literally, "double quotes" keep spaces and take \" \\ \$ \` as escapes, and a
// backslash outside quotes escapes the next character. No globbing, no variables, no redirection:
// the words go to execve as they are.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/expected.hpp"

namespace baton {

Expected<std::vector<std::string>> split_command_line(std::string_view text);

}  // namespace baton
