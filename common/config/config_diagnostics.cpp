#include "common/config/config_diagnostics.hpp"

#include <utility>

namespace baton::config::detail {

std::string attribute_subject(std::string_view name) {
  return "attribute '" + std::string(name) + "'";
}
std::string element_subject(std::string_view name) {
  return "element <" + std::string(name) + ">";
}
std::string single_quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

Error ConfigDiagnostics::error_at(int line, const std::string& subject, const std::string& detail,
                                  const char* code) const {
  return Error{file_ + ":" + std::to_string(line) + ": " + subject + ": " + detail, code};
}

void ConfigDiagnostics::warn(int line, std::string subject, std::string detail) {
  warnings_.push_back({file_, line, std::move(subject), std::move(detail)});
}

void ConfigDiagnostics::warn_unknown_attribute(const pugi::xml_node& node,
                                               const pugi::xml_attribute& attribute) {
  warn(line_of(node, attribute), attribute_subject(attribute.name()), "unknown attribute, ignored");
}

void ConfigDiagnostics::warn_unknown_element(const pugi::xml_node& node) {
  warn(line_of(node), element_subject(node.name()), "unknown element, ignored");
}

}  // namespace baton::config::detail
