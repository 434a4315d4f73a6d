#include "common/config/expand_vars.hpp"

namespace baton::config {

std::string expand_vars(std::string_view text, const VariableLookup& lookup) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find('%', i);
    if (open == std::string_view::npos) {
      out.append(text.substr(i));
      break;
    }
    out.append(text.substr(i, open - i));
    const std::size_t close = text.find('%', open + 1);
    if (close == std::string_view::npos) {  // a lone '%'
      out.append(text.substr(open));
      break;
    }
    const std::string_view name = text.substr(open + 1, close - open - 1);
    if (name.empty()) {  // "%%"
      out += '%';
      i = close + 1;
    } else if (name.find_first_of(" \t/\\") != std::string_view::npos) {
      out += '%';  // not a variable; the closing '%' may open the next one
      i = open + 1;
    } else {
      if (auto value = lookup(name)) out += *value;
      i = close + 1;
    }
  }
  return out;
}

}  // namespace baton::config
