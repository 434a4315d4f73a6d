#include "cli/table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>

namespace baton::cli {

Table::Table(std::vector<Column> columns) : columns_(std::move(columns)) {}

void Table::add_row(std::vector<std::string> cells) {
  if (cells.size() > columns_.size()) {
    throw std::invalid_argument("a table row has more cells than the table has columns");
  }
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::render() const {
  std::vector<std::size_t> widths;
  for (const Column& column : columns_)
    widths.push_back(display_width(column.title));
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], display_width(row[i]));
  }

  std::string out;
  auto append_line = [&](auto cell_at) {
    std::string line;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      const std::string& cell = cell_at(i);
      const std::size_t padding = widths[i] - display_width(cell);
      if (i > 0) line += "  ";
      if (columns_[i].align == Align::kRight) line.append(padding, ' ');
      line += cell;
      if (columns_[i].align == Align::kLeft) line.append(padding, ' ');
    }
    // The last column is usually left-aligned and ragged: no blanks at the end of the line.
    line.erase(line.find_last_not_of(' ') + 1);
    out += line;
    out += '\n';
  };
  append_line([&](std::size_t i) -> const std::string& { return columns_[i].title; });
  for (const auto& row : rows_)
    append_line([&](std::size_t i) -> const std::string& { return row[i]; });
  return out;
}

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++width;  // continuation bytes do not start a code point
  }
  return width;
}

std::string format_duration(double seconds) {
  if (!(seconds > 0)) return "0s";  // also NaN
  const auto total = static_cast<std::int64_t>(std::floor(std::min(seconds, 1e15)));
  char text[48];
  if (total < 60) {
    std::snprintf(text, sizeof text, "%llds", static_cast<long long>(total));
  } else if (total < 3600) {
    std::snprintf(text, sizeof text, "%lldm%02llds", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  } else if (total < 86400) {
    std::snprintf(text, sizeof text, "%lldh%02lldm", static_cast<long long>(total / 3600),
                  static_cast<long long>(total % 3600 / 60));
  } else {
    std::snprintf(text, sizeof text, "%lldd%02lldh", static_cast<long long>(total / 86400),
                  static_cast<long long>(total % 86400 / 3600));
  }
  return text;
}

}  // namespace baton::cli
