// Where in a SharedConfig.xml a problem is, for every step of the reader: errors and warnings as
// "file:line: subject: detail", with the line of an element or of one of its attributes
// (source_lines.hpp), and the subjects they name ("attribute 'X'", "element <X>").
#pragma once

#include <pugixml.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/shared_config.hpp"
#include "common/config/source_lines.hpp"
#include "common/expected.hpp"

namespace baton::config::detail {

std::string attribute_subject(std::string_view name);
std::string element_subject(std::string_view name);
std::string single_quoted(std::string_view text);

template <std::size_t N>
bool is_one_of(std::string_view name, const std::array<const char*, N>& names) {
  return std::any_of(names.begin(), names.end(), [&](const char* n) { return name == n; });
}

class ConfigDiagnostics {
 public:
  ConfigDiagnostics(std::string_view text, std::string file)
      : file_(std::move(file)), lines_(text) {}

  const std::string& file() const { return file_; }
  int line_of(std::ptrdiff_t offset) const { return lines_.line_of(offset); }
  int line_of(const pugi::xml_node& node) const { return lines_.line_of(node.offset_debug()); }
  int line_of(const pugi::xml_node& node, const pugi::xml_attribute& attribute) const {
    return lines_.attribute_line(node.offset_debug(), attribute.name());
  }

  Error error_at(int line, const std::string& subject, const std::string& detail,
                 const char* code) const;
  void warn(int line, std::string subject, std::string detail);
  void warn_unknown_attribute(const pugi::xml_node& node, const pugi::xml_attribute& attribute);
  void warn_unknown_element(const pugi::xml_node& node);
  // The warnings so far, in file order; none are kept.
  std::vector<ConfigWarning> take_warnings() { return std::move(warnings_); }

 private:
  std::string file_;
  SourceLines lines_;
  std::vector<ConfigWarning> warnings_;
};

}  // namespace baton::config::detail
