#include "node/process/command_line.hpp"

namespace baton {

Expected<std::vector<std::string>> split_command_line(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;  // distinguishes "" (an empty word) from nothing
  enum class Quote { none, single, dbl } quote = Quote::none;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (quote) {
      case Quote::single:
        if (c == '\'') {
          quote = Quote::none;
        } else {
          word += c;
        }
        break;
      case Quote::dbl:
        if (c == '"') {
          quote = Quote::none;
        } else if (c == '\\' && i + 1 < text.size() &&
                   std::string_view("\"\\$`").find(text[i + 1]) != std::string_view::npos) {
          word += text[++i];
        } else {
          word += c;
        }
        break;
      case Quote::none:
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
          if (in_word) words.push_back(std::move(word));
          word.clear();
          in_word = false;
        } else if (c == '\'') {
          quote = Quote::single;
          in_word = true;
        } else if (c == '"') {
          quote = Quote::dbl;
          in_word = true;
        } else if (c == '\\') {
          if (i + 1 == text.size()) return Error{"command line ends with a lone backslash"};
          word += text[++i];
          in_word = true;
        } else {
          word += c;
          in_word = true;
        }
        break;
    }
  }
  if (quote == Quote::single) return Error{"command line has an unterminated ' quote"};
  if (quote == Quote::dbl) return Error{"command line has an unterminated \" quote"};
  if (in_word) words.push_back(std::move(word));
  return words;
}

}  // namespace baton
