#include "shim/oci/spec_json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status_matchers.h"

namespace berth::oci {

// A struct with one field of each shape the spec uses.
struct Sample {
  std::string name;
  bool flag = false;
  uint32_t small = 0;
  int64_t big = 0;
  std::optional<uint16_t> maybe;
  std::vector<std::string> list;
  std::map<std::string, std::string> labels;
  std::vector<Sample> children;
  bool operator==(const Sample&) const = default;
};

template <typename V>
void Fields(V& v, Sample& s) {
  v("name", s.name, Presence::kRequired);
  v("flag", s.flag);
  v("small", s.small, Presence::kAlways);
  v("big", s.big);
  v("maybe", s.maybe);
  v("list", s.list);
  v("labels", s.labels);
  v("children", s.children);
}

namespace {

using ::berth::testing::IsOk;
using ::berth::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

absl::StatusOr<Sample> DecodeText(absl::string_view text) {
  absl::StatusOr<Json> json = ParseJson(text);
  if (!json.ok()) return json.status();
  Sample out;
  absl::Status s = Decode(*json, "", out);
  if (!s.ok()) return s;
  return out;
}

TEST(SpecJsonTest, Paths) {
  EXPECT_EQ(JsonField("", "ociVersion"), "ociVersion");
  EXPECT_EQ(JsonField("process.user", "uid"), "process.user.uid");
  EXPECT_EQ(JsonIndex("mounts", 3), "mounts[3]");
  EXPECT_EQ(JsonMapKey("annotations", "org.example/a\"b"), R"(annotations["org.example/a\"b"])");
  EXPECT_EQ(JsonError("a.b", "is bad").message(), "a.b: is bad");
  EXPECT_EQ(JsonError("", "is bad").message(), "is bad");
}

TEST(SpecJsonTest, DecodesEveryShape) {
  absl::StatusOr<Sample> s = DecodeText(R"({
    "name": "n", "flag": true, "small": 4294967295, "big": -9223372036854775808,
    "maybe": 0, "list": ["a", "b"], "labels": {"x": "1"},
    "children": [{"name": "c"}], "unknown": {"ignored": [1, 2]}
  })");
  BERTH_ASSERT_OK(s);
  EXPECT_EQ(s->name, "n");
  EXPECT_TRUE(s->flag);
  EXPECT_EQ(s->small, 4294967295u);
  EXPECT_EQ(s->big, INT64_MIN);
  EXPECT_THAT(s->maybe, Eq(std::optional<uint16_t>(0)));
  EXPECT_THAT(s->list, ElementsAre("a", "b"));
  EXPECT_THAT(s->labels, ElementsAre(Pair("x", "1")));
  ASSERT_EQ(s->children.size(), 1u);
  EXPECT_EQ(s->children[0].name, "c");
}

TEST(SpecJsonTest, NullIsAbsent) {
  absl::StatusOr<Sample> s = DecodeText(R"({"name": "n", "maybe": null, "list": null})");
  BERTH_ASSERT_OK(s);
  EXPECT_FALSE(s->maybe.has_value());
  EXPECT_TRUE(s->list.empty());
}

TEST(SpecJsonTest, ErrorsNameThePath) {
  EXPECT_THAT(DecodeText("{}"), StatusIs(kInvalid, "name: is required"));
  EXPECT_THAT(DecodeText("[]"), StatusIs(kInvalid, "must be an object, got array"));
  EXPECT_THAT(DecodeText(R"({"name": 5})"),
              StatusIs(kInvalid, "name: must be a string, got number"));
  EXPECT_THAT(DecodeText(R"({"name": "n", "flag": "yes"})"),
              StatusIs(kInvalid, "flag: must be a boolean, got string"));
  EXPECT_THAT(DecodeText(R"({"name": "n", "small": 4294967296})"),
              StatusIs(kInvalid, "small: must be an integer in 0..4294967295, got 4294967296"));
  EXPECT_THAT(DecodeText(R"({"name": "n", "small": -1})"),
              StatusIs(kInvalid, "small: must be an integer in 0..4294967295, got -1"));
  EXPECT_THAT(DecodeText(R"({"name": "n", "small": 1.5})"),
              StatusIs(kInvalid, "small: must be an integer in 0..4294967295, got 1.5"));
  EXPECT_THAT(DecodeText(R"({"name": "n", "small": "7"})"),
              StatusIs(kInvalid, R"(small: must be an integer in 0..4294967295, got "7")"));
  EXPECT_THAT(DecodeText(R"({"name": "n", "maybe": 65536})"),
              StatusIs(kInvalid, "maybe: must be an integer in 0..65535, got 65536"));
  EXPECT_THAT(DecodeText(R"({"name": "n", "list": ["a", 1]})"),
              StatusIs(kInvalid, "list[1]: must be a string, got number"));
  EXPECT_THAT(DecodeText(R"({"name": "n", "list": "a"})"),
              StatusIs(kInvalid, "list: must be a list, got string"));
  EXPECT_THAT(DecodeText(R"({"name": "n", "labels": {"k.x": false}})"),
              StatusIs(kInvalid, R"(labels["k.x"]: must be a string, got boolean)"));
  EXPECT_THAT(DecodeText(R"({"name": "n", "children": [{"name": "c"}, {}]})"),
              StatusIs(kInvalid, "children[1].name: is required"));
}

TEST(SpecJsonTest, RejectsNulInStrings) {
  EXPECT_THAT(DecodeText(R"({"name": "a\u0000b"})"),
              StatusIs(kInvalid, "name: must not contain NUL characters"));
}

TEST(SpecJsonTest, SyntaxErrorIsInvalidArgument) {
  EXPECT_THAT(ParseJson("{\"name\": "), StatusIs(kInvalid, HasSubstr("invalid JSON")));
  EXPECT_THAT(ParseJson(""), StatusIs(kInvalid, HasSubstr("invalid JSON")));
}

TEST(SpecJsonTest, WritesInFieldOrderAndOmitsEmpty) {
  Sample s;
  s.name = "n";
  s.maybe = 0;  // present zero is kept
  s.labels = {{"b", "2"}, {"a", "1"}};
  EXPECT_EQ(DumpJson(Encode(s)), R"({
  "name": "n",
  "small": 0,
  "maybe": 0,
  "labels": {
    "a": "1",
    "b": "2"
  }
})");
}

TEST(SpecJsonTest, RoundTrips) {
  Sample s;
  s.name = "top";
  s.flag = true;
  s.small = 7;
  s.big = -3;
  s.maybe = 9;
  s.list = {"x", ""};
  s.labels = {{"k", "v"}};
  s.children.emplace_back().name = "child";
  absl::StatusOr<Sample> back = DecodeText(DumpJson(Encode(s)));
  EXPECT_THAT(back, ::berth::testing::IsOkAndHolds(s));
}

TEST(SpecJsonTest, DumpReplacesInvalidUtf8) {
  Sample s;
  s.name = "bad\xff";
  EXPECT_THAT(DumpJson(Encode(s)), HasSubstr("bad\xef\xbf\xbd"));
}

TEST(SpecJsonTest, ReadSmallFile) {
  std::filesystem::path path =
      std::filesystem::path(::testing::TempDir()) / "spec_json_test_small_file";
  std::ofstream(path) << "0123456789";
  EXPECT_THAT(ReadSmallFile(path, 10), ::berth::testing::IsOkAndHolds(std::string("0123456789")));
  EXPECT_THAT(ReadSmallFile(path, 9), StatusIs(kInvalid, HasSubstr("larger than 9 bytes")));
  std::filesystem::remove(path);
  EXPECT_THAT(ReadSmallFile(path, 10),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(path.string())));
  EXPECT_THAT(ParseJson("{}"), IsOk());
}

}  // namespace
}  // namespace berth::oci
