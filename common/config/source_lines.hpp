// Line numbers for messages about a SharedConfig.xml. pugixml reports byte offsets (of a parse
// error, of an element's name) and none for attributes, so this maps offsets to lines and finds an
// attribute inside its element's start tag: Dirigent files put one attribute per line, and the
// line of the attribute is the one a reader needs.
//
// Offsets are those of the UTF-8 text as read; a file in another encoding (pugixml converts it)
// gets approximate lines.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace baton::config {

class SourceLines {
 public:
  explicit SourceLines(std::string_view text);

  // 1-based line of a byte offset; offsets past the end give the last line.
  int line_of(std::ptrdiff_t offset) const;

  // The line of attribute `name` in the start tag whose element name begins at
  // `element_offset`; the element's own line when the attribute is not found there.
  int attribute_line(std::ptrdiff_t element_offset, std::string_view name) const;

 private:
  std::string_view text_;
  std::vector<std::size_t> line_starts_;
};

}  // namespace baton::config
