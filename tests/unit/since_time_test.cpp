// TIME of `baton logs --since`: durations back from now and local dates and times, and the error
// that names the accepted forms.
#include "cli/since_time.hpp"

#include <gtest/gtest.h>

#include <ctime>

namespace baton::cli {
namespace {

// The local time of the given fields, as mktime makes it.
double local(int year, int month, int day, int hour, int minute, int second) {
  std::tm fields{};
  fields.tm_year = year - 1900;
  fields.tm_mon = month - 1;
  fields.tm_mday = day;
  fields.tm_hour = hour;
  fields.tm_min = minute;
  fields.tm_sec = second;
  fields.tm_isdst = -1;
  return static_cast<double>(std::mktime(&fields));
}

double since(const char* text, double now) {
  auto time = parse_since(text, now);
  EXPECT_TRUE(time) << text << ": " << (time ? "" : time.error().message);
  return time ? *time : -1;
}

TEST(SinceTime, DurationsCountBackFromNow) {
  const double now = 1'700'000'000.5;
  EXPECT_EQ(since("90s", now), now - 90);
  EXPECT_EQ(since("10m", now), now - 600);
  EXPECT_EQ(since("2h", now), now - 7200);
  EXPECT_EQ(since("1d", now), now - 86400);
  EXPECT_EQ(since("1h30m", now), now - 5400);
  EXPECT_EQ(since("1d2h3m4s", now), now - 93784);
  EXPECT_EQ(since("0s", now), now);
}

TEST(SinceTime, ALocalDateAndTime) {
  const double now = local(2024, 5, 1, 10, 0, 0);
  EXPECT_EQ(since("2024-04-30T14:30", now), local(2024, 4, 30, 14, 30, 0));
  EXPECT_EQ(since("2024-04-30T14:30:05", now), local(2024, 4, 30, 14, 30, 5));
  EXPECT_EQ(since("2024-02-29T00:00", now), local(2024, 2, 29, 0, 0, 0));  // a leap day
}

TEST(SinceTime, ATimeOfDayIsToday) {
  const double now = local(2024, 5, 1, 10, 0, 0) + 0.25;
  EXPECT_EQ(since("09:15", now), local(2024, 5, 1, 9, 15, 0));
  EXPECT_EQ(since("00:00:01", now), local(2024, 5, 1, 0, 0, 1));
  // Later today is no error: nothing is since then yet.
  EXPECT_EQ(since("23:59:59", now), local(2024, 5, 1, 23, 59, 59));
}

TEST(SinceTime, AnythingElseIsRefusedWithTheFormsThatWork) {
  for (const char* bad : {"",
                          "10",
                          "10x",
                          "1h30",
                          "h",
                          "-5m",
                          "5 m",
                          "1.5h",
                          "99999999999s",
                          "yesterday",
                          "25:00",
                          "12:60",
                          "12:30:60",
                          "9:15",
                          "12:30:5",
                          "12:30:",
                          "2024-02-30T10:00",
                          "2023-02-29T10:00",
                          "2024-13-01T10:00",
                          "2024-05-01 14:30",
                          "2024-05-01T14",
                          "2024-5-01T14:30",
                          "2024-05-01T14:30Z"}) {
    auto time = parse_since(bad, 1'700'000'000);
    ASSERT_FALSE(time) << "'" << bad << "' was taken as " << *time;
    EXPECT_EQ(time.error().message,
              "'" + std::string(bad) + "' is not a time: use " + std::string(kSinceForms));
  }
  EXPECT_NE(kSinceForms.find("1h30m"), std::string_view::npos);
  EXPECT_NE(kSinceForms.find("2024-05-01T14:30"), std::string_view::npos);
}

}  // namespace
}  // namespace baton::cli
