// %VAR% expansion of ExeFullPath, StartupDir, CmdLineArgs, <Env> values (docs/shared-config.md).
//
// The config keeps these texts raw; the node expands them at each launch with the variables of
// that moment (its environment as SetVars left it, <Env><Local>, the DIRIGENT_* variables), so the
// caller supplies the lookup. Rules, in the spirit of Windows' %VAR% that Dirigent files use:
//   %NAME%     the lookup's value; a name the lookup does not know expands to "".
//   %%         a literal '%' (the way to write one next to a variable: "%%%P%%%" -> "%value%").
//   a lone %   with no closing '%' after it stays as it is ("100%").
//   %a b%      is not a variable when the text between the two '%' holds a space, a tab, '/' or
//              '\': the first '%' stays literal and the second may open a variable, so
//              "50% off, 20% more" and "%HOME%/x" read as a person would.
// Expansion is a single pass: a value that itself holds %OTHER% is not expanded again.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace baton::config {

using VariableLookup = std::function<std::optional<std::string>(std::string_view name)>;

std::string expand_vars(std::string_view text, const VariableLookup& lookup);

}  // namespace baton::config
