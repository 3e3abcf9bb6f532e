// ExampleView against protobuf's generated parser: on well-formed records,
// on every odd encoding the wire format allows, and on damaged bytes, the view
// and ParseFromString agree on the verdict and on every feature.
#include "src/io/example_view.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "src/io/example.h"

namespace edgepipe::io {
namespace {

// A feature's content in a comparable form.
struct Content {
  ListKind kind = ListKind::kNone;
  std::vector<std::string> values;  // bytes, or numbers printed exactly
  bool operator==(const Content&) const = default;
};
using Canonical = std::map<std::string, Content>;

Canonical FromView(const ExampleView& view) {
  Canonical out;
  for (const FeatureView& f : view.features()) {
    Content c{.kind = f.kind};
    for (uint32_t i = 0; i < f.size; ++i) {
      switch (f.kind) {
        case ListKind::kBytes:
          c.values.emplace_back(f.bytes[i]);
          break;
        case ListKind::kFloat: {
          char buf[32];
          std::snprintf(buf, sizeof buf, "%a", static_cast<double>(f.floats[i]));
          c.values.emplace_back(buf);
          break;
        }
        case ListKind::kInt64:
          c.values.push_back(std::to_string(f.ints[i]));
          break;
        case ListKind::kNone:
          break;
      }
    }
    EXPECT_TRUE(out.emplace(std::string(f.name), c).second) << "name twice: " << f.name;
  }
  return out;
}

// What protobuf makes of the bytes: nullopt if it refuses them.
std::optional<Canonical> Reference(const std::string& bytes) {
  tensorflow::Example example;
  if (!example.ParseFromString(bytes)) return std::nullopt;
  ExampleView view;
  view.Assign(example);
  return FromView(view);
}

void ExpectAgrees(const std::string& bytes, const std::string& what) {
  std::optional<Canonical> want = Reference(bytes);
  ExampleView view;
  Status st = view.Parse(bytes);
  ASSERT_EQ(st.ok(), want.has_value()) << what << ": " << st.message();
  if (!st.ok()) {
    EXPECT_EQ(st.code(), Status::Code::kCorruption);
    EXPECT_NE(st.message().find("not a valid tensorflow.Example (" +
                                std::to_string(bytes.size()) + " bytes)"),
              std::string::npos)
        << st.message();
    return;
  }
  EXPECT_EQ(FromView(view), *want) << what;
}

// Wire-format builders for hand-made encodings.
std::string Varint(uint64_t v) {
  std::string s;
  while (v >= 0x80) {
    s += static_cast<char>(v | 0x80);
    v >>= 7;
  }
  s += static_cast<char>(v);
  return s;
}
std::string Len(uint32_t field, const std::string& body) {
  return Varint(field << 3 | 2) + Varint(body.size()) + body;
}
std::string Fixed32(uint32_t field, float v) {
  std::string s = Varint(field << 3 | 5);
  s.append(reinterpret_cast<const char*>(&v), 4);
  return s;
}
std::string PackedFloats(const std::vector<float>& v) {
  return Len(1, std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4));
}
// A Features map entry (field 1 of Features) holding key and value.
std::string Entry(const std::string& key, const std::string& feature) {
  return Len(1, Len(1, key) + Len(2, feature));
}
std::string ExampleOf(const std::string& entries) { return Len(1, entries); }

tensorflow::Example Typical(int seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  tensorflow::Example e;
  std::vector<float> floats(rng() % 6);
  for (float& f : floats) f = static_cast<float>(rng() % 1000) / 7.0f;
  SetFloatFeature("image", floats, &e);
  SetInt64Feature("label", {static_cast<int64_t>(rng() % 10) - 5, INT64_MIN, INT64_MAX}, &e);
  SetBytesFeature("name", {"penguin", std::string("a\0b", 3), ""}, &e);
  (*e.mutable_features()->mutable_feature())["empty"];  // a Feature with no list
  return e;
}

TEST(ExampleViewTest, AgreesOnTypicalRecords) {
  for (int seed = 0; seed < 50; ++seed) {
    ExpectAgrees(SerializeDeterministic(Typical(seed)), "seed " + std::to_string(seed));
  }
  ExpectAgrees("", "the empty Example");
  ExpectAgrees(ExampleOf(""), "empty Features");
}

TEST(ExampleViewTest, ValuesAndKindsAreRead) {
  tensorflow::Example e;
  SetFloatFeature("f", {1.5f, -2.0f}, &e);
  SetInt64Feature("i", {-3, 1LL << 40}, &e);
  SetBytesFeature("b", {"x", "yz"}, &e);
  std::string bytes = SerializeDeterministic(e);
  ExampleView view;
  ASSERT_TRUE(view.Parse(bytes).ok());
  ASSERT_EQ(view.features().size(), 3u);
  const FeatureView& b = view.features()[0];  // deterministic: sorted by key
  const FeatureView& f = view.features()[1];
  const FeatureView& i = view.features()[2];
  EXPECT_EQ(b.name, "b");
  EXPECT_EQ(b.kind, ListKind::kBytes);
  ASSERT_EQ(b.size, 2u);
  EXPECT_EQ(b.bytes[1], "yz");
  EXPECT_EQ(f.kind, ListKind::kFloat);
  ASSERT_EQ(f.size, 2u);
  EXPECT_EQ(f.floats[0], 1.5f);
  EXPECT_EQ(f.floats[1], -2.0f);
  EXPECT_EQ(i.kind, ListKind::kInt64);
  ASSERT_EQ(i.size, 2u);
  EXPECT_EQ(i.ints[0], -3);
  EXPECT_EQ(i.ints[1], 1LL << 40);
}

TEST(ExampleViewTest, NamesUnchangedTracksTheKeySequence) {
  ExampleView view;
  std::string a = SerializeDeterministic(Typical(1));
  std::string b = SerializeDeterministic(Typical(2));  // same keys, other values
  tensorflow::Example other;
  SetFloatFeature("x", {1}, &other);
  std::string c = SerializeDeterministic(other);
  ASSERT_TRUE(view.Parse(a).ok());
  EXPECT_FALSE(view.names_unchanged());
  ASSERT_TRUE(view.Parse(b).ok());
  EXPECT_TRUE(view.names_unchanged());
  ASSERT_TRUE(view.Parse(c).ok());
  EXPECT_FALSE(view.names_unchanged());
  ASSERT_TRUE(view.Parse(c).ok());
  EXPECT_TRUE(view.names_unchanged());
  EXPECT_FALSE(view.Parse("\x0a\x05zz").ok());  // damage forgets the names
  ASSERT_TRUE(view.Parse(c).ok());
  EXPECT_FALSE(view.names_unchanged());
}

TEST(ExampleViewTest, OddButValidEncodingsMatchProtobuf) {
  const std::string floats12 = Len(2, PackedFloats({1, 2}));
  const std::string ints = Len(3, Len(1, Varint(7) + Varint(uint64_t(-1))));
  struct Case {
    std::string what, bytes;
  } cases[] = {
      {"a key given twice: the last wins",
       ExampleOf(Entry("k", floats12) + Entry("k", ints))},
      {"a Feature naming two kinds: the last wins", ExampleOf(Entry("k", floats12 + ints))},
      {"one list field given twice: merged", ExampleOf(Entry("k", floats12 + floats12))},
      {"unpacked floats", ExampleOf(Entry("k", Len(2, Fixed32(1, 3.5f) + Fixed32(1, -1))))},
      {"unpacked int64", ExampleOf(Entry("k", Len(3, Varint(8) + Varint(42))))},
      {"packed and unpacked mixed",
       ExampleOf(Entry("k", Len(2, PackedFloats({1}) + Fixed32(1, 2) + PackedFloats({3}))))},
      {"value before key", ExampleOf(Len(1, Len(2, floats12) + Len(1, "k")))},
      {"entry without a key", ExampleOf(Len(1, Len(2, floats12)))},
      {"entry without a value", ExampleOf(Len(1, Len(1, "k")))},
      {"an empty entry", ExampleOf(Len(1, ""))},
      {"two Features messages: merged",
       ExampleOf(Entry("a", floats12)) + ExampleOf(Entry("b", ints))},
      {"unknown fields everywhere",
       Varint(2 << 3 | 0) + Varint(5) +
           ExampleOf(Varint(9 << 3 | 1) + "12345678" +
                     Len(1, Len(1, "k") + Len(7, "zz") +
                                Len(2, Len(5, "q") + Len(2, Varint(3 << 3 | 5) + "abcd" +
                                                                PackedFloats({4})))))},
      {"a group field", ExampleOf(Entry("k", floats12)) + Varint(5 << 3 | 3) + Varint(5 << 3 | 4)},
      {"a key field with the wrong wire type", ExampleOf(Len(1, Varint(1 << 3 | 0) + Varint(1)))},
      {"a zero tag", ExampleOf(Entry("k", floats12)) + std::string(1, '\0')},
      {"a field number 0", ExampleOf(Entry("k", floats12) + Varint(0 << 3 | 2) + Varint(0))},
      {"a kind field with the wrong wire type",
       ExampleOf(Entry("k", Varint(2 << 3 | 0) + Varint(1)))},
  };
  for (const Case& c : cases) ExpectAgrees(c.bytes, c.what);
}

TEST(ExampleViewTest, DamagedRecordsGetProtobufsVerdict) {
  const std::string good = SerializeDeterministic(Typical(3));
  for (size_t n = 0; n < good.size(); ++n) {
    ExpectAgrees(good.substr(0, n), "prefix of " + std::to_string(n) + " bytes");
  }
  std::mt19937 rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string bad = good;
    const int flips = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < flips; ++k) bad[rng() % bad.size()] = static_cast<char>(rng());
    ExpectAgrees(bad, "flipped bytes, trial " + std::to_string(trial));
  }
  ExpectAgrees(ExampleOf(Entry("\xff\xfe", Len(2, PackedFloats({1})))), "a non-UTF-8 key");
  ExpectAgrees(ExampleOf(Entry("k", Len(2, Len(1, "abc")))), "packed floats of 3 bytes");
}

}  // namespace
}  // namespace edgepipe::io
