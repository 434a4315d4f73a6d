#include "common/config/source_lines.hpp"

#include <algorithm>

namespace baton::config {

namespace {

bool is_xml_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

}  // namespace

SourceLines::SourceLines(std::string_view text) : text_(text) {
  line_starts_.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_starts_.push_back(i + 1);
  }
}

int SourceLines::line_of(std::ptrdiff_t offset) const {
  if (offset < 0) return 1;
  const auto at =
      std::upper_bound(line_starts_.begin(), line_starts_.end(), static_cast<std::size_t>(offset));
  return static_cast<int>(at - line_starts_.begin());
}

int SourceLines::attribute_line(std::ptrdiff_t element_offset, std::string_view name) const {
  if (element_offset < 0 || static_cast<std::size_t>(element_offset) >= text_.size()) {
    return line_of(element_offset);
  }
  // The start tag is well formed (pugixml parsed it): Name (S attr S? = S? "value")* S? /? >
  const std::size_t n = text_.size();
  std::size_t i = static_cast<std::size_t>(element_offset);
  auto skip_space = [&] {
    while (i < n && is_xml_space(text_[i]))
      ++i;
  };
  auto is_name_end = [&](char c) { return is_xml_space(c) || c == '=' || c == '>' || c == '/'; };
  while (i < n && !is_name_end(text_[i]))
    ++i;  // the element name
  while (i < n) {
    skip_space();
    if (i >= n || text_[i] == '>' || text_[i] == '/') break;
    const std::size_t name_start = i;
    while (i < n && !is_name_end(text_[i]))
      ++i;
    const std::string_view attribute = text_.substr(name_start, i - name_start);
    skip_space();
    if (i >= n || text_[i] != '=') break;
    ++i;
    skip_space();
    if (i >= n || (text_[i] != '"' && text_[i] != '\'')) break;
    const std::size_t close = text_.find(text_[i], i + 1);
    if (close == std::string_view::npos) break;
    if (attribute == name) return line_of(static_cast<std::ptrdiff_t>(name_start));
    i = close + 1;
  }
  return line_of(element_offset);
}

}  // namespace baton::config
