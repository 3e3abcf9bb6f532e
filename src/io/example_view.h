// ExampleView: the features of one serialized tf.Example, read straight off
// the wire into views, for passes that read every example once (StatisticsGen)
// and would otherwise spend most of their time building protobuf messages: a
// tf.Example of 784 one-float features is 784 map nodes, strings and lists.
//
// The view has exactly protobuf's semantics. Common records (every record
// edgepipe and TFX write: one Features message, map entries with one key and
// one Feature holding one list) are read by a scan with protobuf's own wire
// reader (CodedInputStream); anything else that protobuf accepts (a key seen
// twice, a Feature naming two kinds, unpacked lists split in pieces, unknown
// groups) goes through the generated parser, so the result never differs from
// ParseFromString's. Bytes protobuf refuses (truncation, a non-UTF-8 key,
// garbage) are refused with the same verdict.
//
// Lifetime: the views point into the record passed to Parse (names, bytes
// values) and into the ExampleView (numbers); they are valid until the next
// Parse/Assign or the view's destruction, and only while the record lives.
// Not thread-safe; use one per thread and reuse it (its buffers are kept).
#ifndef EDGEPIPE_IO_EXAMPLE_VIEW_H_
#define EDGEPIPE_IO_EXAMPLE_VIEW_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/status.h"
#include "src/io/example.pb.h"

namespace edgepipe::io {

// Which list a Feature holds (tensorflow.Feature's oneof `kind`).
enum class ListKind : uint8_t { kNone, kBytes, kFloat, kInt64 };

struct FeatureView {
  std::string_view name;
  ListKind kind = ListKind::kNone;
  uint32_t size = 0;  // number of values (0 for kNone, or an empty list)
  // The values; only the one matching `kind` is set.
  const float* floats = nullptr;
  const int64_t* ints = nullptr;
  const std::string_view* bytes = nullptr;
};

class ExampleView {
 public:
  ExampleView() = default;
  ExampleView(const ExampleView&) = delete;
  ExampleView& operator=(const ExampleView&) = delete;

  // Reads a serialized tensorflow.Example. Corruption "not a valid
  // tensorflow.Example (<n> bytes)" when protobuf would not parse it; the
  // view is then empty.
  Status Parse(std::string_view record);
  // Views the features of a parsed message, which must outlive the views.
  void Assign(const tensorflow::Example& example);

  // One entry per feature key (protobuf's map semantics: a key given twice
  // counts once, with its last value). Order: the record's for scanned
  // records, unspecified otherwise.
  const std::vector<FeatureView>& features() const { return features_; }
  // True when features() has the same names, in the same order, as after the
  // previous Parse/Assign: a caller that looked the names up then can reuse
  // what it found by position.
  bool names_unchanged() const { return names_unchanged_; }
  // A number unique in the process to each Parse/Assign (of any view), and
  // the previous one's of this view: a caller that remembers generation()
  // knows whether "previous" above is the example it saw last.
  uint64_t generation() const { return generation_; }
  uint64_t previous_generation() const { return previous_generation_; }

 private:
  // The scan; false if the record needs the generated parser.
  bool Scan(std::string_view record);
  // Compares names with the previous example's, and on a change checks them
  // (UTF-8, no duplicates) and remembers them; false if they fail the check.
  bool CheckNames();
  bool SameNamesAsPrevious() const;
  void RememberNames();
  void Clear();
  void NextGeneration();

  std::vector<FeatureView> features_;
  // Numbers are copied out of the wire (packed values are unaligned, varints
  // need decoding); FeatureView pointers are set once the scan is done.
  std::vector<float> floats_;
  std::vector<int64_t> ints_;
  std::vector<std::string_view> bytes_;
  std::vector<size_t> first_value_;  // per feature: index of its first value
  // The previous example's names, concatenated, and where each ends.
  std::string previous_names_;
  std::vector<size_t> previous_name_ends_;
  bool names_unchanged_ = false;
  uint64_t generation_ = 0;
  uint64_t previous_generation_ = 0;
  tensorflow::Example fallback_;  // the generated parser's message
};

}  // namespace edgepipe::io

#endif  // EDGEPIPE_IO_EXAMPLE_VIEW_H_
