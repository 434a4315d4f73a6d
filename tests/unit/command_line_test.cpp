#include <gtest/gtest.h>

#include "node/process/command_line.hpp"

namespace baton {
namespace {

using Words = std::vector<std::string>;

Words split(std::string_view text) {
  auto words = split_command_line(text);
  EXPECT_TRUE(words.ok()) << words.error().message;
  return words.ok() ? *words : Words{};
}

TEST(CommandLine, SplitsOnWhiteSpace) {
  EXPECT_EQ(split("  -a  b\tc\n d "), (Words{"-a", "b", "c", "d"}));
  EXPECT_EQ(split(""), Words{});
  EXPECT_EQ(split("   "), Words{});
}

TEST(CommandLine, QuotesKeepSpacesAndEmptyWords) {
  EXPECT_EQ(split(R"(--name "two words" 'single $HOME' "" '')"),
            (Words{"--name", "two words", "single $HOME", "", ""}));
  EXPECT_EQ(split(R"(pre"fix"'ed')"), Words{"prefixed"});
}

TEST(CommandLine, BackslashEscapes) {
  EXPECT_EQ(split(R"(a\ b "q\"q" "back\\slash" "keep\n" 'no\escape')"),
            (Words{"a b", "q\"q", "back\\slash", "keep\\n", "no\\escape"}));
}

TEST(CommandLine, NothingIsExpanded) {
  EXPECT_EQ(split("$HOME * ; | > out"), (Words{"$HOME", "*", ";", "|", ">", "out"}));
}

TEST(CommandLine, UnterminatedQuotesAreErrors) {
  EXPECT_EQ(split_command_line("\"open").error().message,
            "command line has an unterminated \" quote");
  EXPECT_EQ(split_command_line("'open").error().message,
            "command line has an unterminated ' quote");
  EXPECT_EQ(split_command_line("end\\").error().message, "command line ends with a lone backslash");
}

}  // namespace
}  // namespace baton
