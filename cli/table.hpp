// Plain-text columns for the command line's human output, and the short forms of durations.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace baton::cli {

enum class Align { kLeft, kRight };

struct Column {
  std::string title;
  Align align = Align::kLeft;
};

// A table with a header line: columns two spaces apart, each as wide as its widest cell, no
// trailing blanks. Widths count UTF-8 code points, so a name with accents stays aligned.
class Table {
 public:
  explicit Table(std::vector<Column> columns);

  // One cell per column; a short row is padded with empty cells, a long one is an error
  // (std::invalid_argument).
  void add_row(std::vector<std::string> cells);
  std::size_t rows() const { return rows_.size(); }

  // The header and every row, one '\n'-terminated line each.
  std::string render() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

// How many code points `text` holds (its width on a terminal, for the scripts we print).
std::size_t display_width(std::string_view text);

// A duration in its short human form: "3s", "2m05s", "1h02m", "3d04h". Fractions are cut
// (59.9 s is "59s"); a negative duration (clocks of two machines) shows as "0s".
std::string format_duration(double seconds);

}  // namespace baton::cli
