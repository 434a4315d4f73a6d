// Key pairs and key files (common/net/curve_keys.hpp), on real files in a temporary folder.
#include "common/net/curve_keys.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "harness/files.hpp"
#include "harness/temp_dir.hpp"

namespace baton::test {

using namespace harness;

namespace {

mode_t mode_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

TEST(CurveKeys, GeneratedPairsAreZ85AndDiffer) {
  auto a = generate_curve_key_pair();
  auto b = generate_curve_key_pair();
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(is_z85_key(a->public_key));
  EXPECT_TRUE(is_z85_key(a->secret_key));
  EXPECT_NE(a->public_key, b->public_key);
  EXPECT_NE(a->secret_key, a->public_key);
  EXPECT_FALSE(is_z85_key(a->public_key.substr(1)));
  EXPECT_FALSE(is_z85_key(std::string(40, '~')));  // '~' is not a Z85 character
}

TEST(CurveKeys, KeyFilesRoundTripWithPrivateModes) {
  TempDir dir;
  auto keys = generate_curve_key_pair();
  ASSERT_TRUE(keys);
  ASSERT_TRUE(write_curve_key_files(dir / "m1", "m1", *keys));
  EXPECT_EQ(mode_of(dir / "m1.key"), 0600u);
  EXPECT_EQ(mode_of(dir / "m1.pub"), 0644u);
  EXPECT_EQ(read_file(dir / "m1.pub").find("secret"), std::string::npos);

  auto read = read_secret_key_file(dir / "m1.key");
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->public_key, keys->public_key);
  EXPECT_EQ(read->secret_key, keys->secret_key);
  // A public key from its .pub, from the .key, or as itself.
  for (const std::string& source : {dir / "m1.pub", dir / "m1.key", keys->public_key}) {
    auto public_key = read_public_key(source);
    ASSERT_TRUE(public_key) << source << ": " << public_key.error().message;
    EXPECT_EQ(*public_key, keys->public_key) << source;
  }
}

TEST(CurveKeys, ExistingKeyFilesAreNeverOverwritten) {
  TempDir dir;
  auto first = generate_curve_key_pair();
  auto second = generate_curve_key_pair();
  ASSERT_TRUE(first && second);
  ASSERT_TRUE(write_curve_key_files(dir / "op", "op", *first));
  auto again = write_curve_key_files(dir / "op", "op", *second);
  ASSERT_FALSE(again);
  EXPECT_NE(again.error().message.find("exists already"), std::string::npos);
  EXPECT_EQ(read_secret_key_file(dir / "op.key")->secret_key, first->secret_key);
}

TEST(CurveKeys, BadKeyFilesSayFileLineAndWhat) {
  TempDir dir;
  write(dir / "short.key", "# comment\nsecret-key  abc\n");
  auto bad = read_secret_key_file(dir / "short.key");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find(dir / "short.key:2:"), std::string::npos)
      << bad.error().message;

  write(dir / "word.key", "private-key x\n");
  bad = read_secret_key_file(dir / "word.key");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find(":1: expected 'public-key KEY'"), std::string::npos)
      << bad.error().message;

  auto keys = generate_curve_key_pair();
  ASSERT_TRUE(write_curve_key_files(dir / "p", "p", *keys));
  bad = read_secret_key_file(dir / "p.pub");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("holds no secret-key"), std::string::npos);

  auto other = generate_curve_key_pair();
  write(dir / "mixed.key",
        "public-key  " + other->public_key + "\nsecret-key  " + keys->secret_key + "\n");
  bad = read_secret_key_file(dir / "mixed.key");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("does not belong"), std::string::npos);

  EXPECT_FALSE(read_secret_key_file(dir / "missing.key"));
  EXPECT_FALSE(read_public_key("not-a-key-nor-a-file"));
}

TEST(CurveKeys, ClientKeysNeedBothOptions) {
  TempDir dir;
  auto keys = generate_curve_key_pair();
  ASSERT_TRUE(write_curve_key_files(dir / "c", "c", *keys));
  auto none = load_curve_client_keys("", "");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  auto only_key = load_curve_client_keys(dir / "c.key", "");
  ASSERT_FALSE(only_key);
  EXPECT_NE(only_key.error().message.find("--key needs --broker-key"), std::string::npos);
  EXPECT_FALSE(load_curve_client_keys("", dir / "c.pub"));
  auto both = load_curve_client_keys(dir / "c.key", dir / "c.pub");
  ASSERT_TRUE(both && both->has_value());
  EXPECT_EQ((*both)->server_public_key, keys->public_key);
  EXPECT_EQ((*both)->own.secret_key, keys->secret_key);
}

}  // namespace
}  // namespace baton::test
