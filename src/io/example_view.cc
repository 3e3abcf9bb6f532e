#include "src/io/example_view.h"

#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <climits>
#include <cstring>

#include "src/core/utf8.h"

namespace edgepipe::io {

namespace {

static_assert(std::endian::native == std::endian::little,
              "packed floats are copied off the wire as they lie");

using google::protobuf::io::CodedInputStream;

// Wire types (protobuf encoding).
constexpr uint32_t kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5;

constexpr uint32_t Tag(uint32_t field, uint32_t wire_type) { return field << 3 | wire_type; }

// Skips a field this scan does not read. False for groups (deprecated, left
// to the generated parser) and for damage.
bool SkipField(CodedInputStream& in, uint32_t tag) {
  switch (tag & 7) {
    case kVarint: {
      uint64_t ignored;
      return in.ReadVarint64(&ignored);
    }
    case kFixed64:
      return in.Skip(8);
    case kLengthDelimited: {
      uint32_t len;
      return in.ReadVarint32(&len) && len <= INT_MAX && in.Skip(static_cast<int>(len));
    }
    case kFixed32:
      return in.Skip(4);
    default:
      return false;
  }
}

// The scan bounds each message by its end offset rather than with
// CodedInputStream's PushLimit/BytesUntilLimit: those are calls into the
// shared library, and were a third of a pass over per-pixel examples. Reads
// never pass the record's end (the stream's own bound); a field that runs
// past its message's end is caught when the message's loop ends.

// Runs `body(end)` on the length-delimited field that starts at the cursor,
// `end` being its end offset; true if the body accepted it and consumed
// exactly all of it.
template <typename Body>
bool InSubmessage(CodedInputStream& in, int outer_end, Body&& body) {
  uint32_t len;
  if (!in.ReadVarint32(&len) || len > static_cast<uint32_t>(outer_end - in.CurrentPosition())) {
    return false;
  }
  const int end = in.CurrentPosition() + static_cast<int>(len);
  return body(end) && in.CurrentPosition() == end;
}

// Calls field(tag) for each field up to offset `end`; false as soon as one
// returns false, a tag is damaged or zero, or a field runs past `end`.
template <typename Field>
bool ForEachField(CodedInputStream& in, int end, Field&& field) {
  while (in.CurrentPosition() < end) {
    const uint32_t tag = in.ReadTag();
    if (tag == 0 || !field(tag)) return false;
  }
  return in.CurrentPosition() == end;
}

}  // namespace

void ExampleView::NextGeneration() {
  // Process-wide, so no two parses by any views share a number.
  static std::atomic<uint64_t> next{1};
  previous_generation_ = generation_;
  generation_ = next.fetch_add(1, std::memory_order_relaxed);
}

void ExampleView::Clear() {
  features_.clear();
  floats_.clear();
  ints_.clear();
  bytes_.clear();
  first_value_.clear();
}

Status ExampleView::Parse(std::string_view record) {
  NextGeneration();
  if (Scan(record)) return Status::OK();
  // Anything unusual, and every damaged record, goes to the generated parser,
  // whose verdict is the reference.
  Clear();
  fallback_.Clear();
  if (record.size() > INT_MAX ||
      !fallback_.ParseFromArray(record.data(), static_cast<int>(record.size()))) {
    names_unchanged_ = false;
    previous_name_ends_.clear();
    return Status::Corruption("not a valid tensorflow.Example (" + std::to_string(record.size()) +
                              " bytes)");
  }
  Assign(fallback_);
  return Status::OK();
}

bool ExampleView::Scan(std::string_view record) {
  Clear();
  if (record.size() > INT_MAX) return false;
  CodedInputStream in(reinterpret_cast<const uint8_t*>(record.data()),
                      static_cast<int>(record.size()));
  // A length-delimited field's bytes (within `end`), as a view into the record.
  auto read_view = [&](int end, std::string_view* out) {
    uint32_t len;
    if (!in.ReadVarint32(&len) || len > static_cast<uint32_t>(end - in.CurrentPosition())) {
      return false;
    }
    const int at = in.CurrentPosition();
    if (!in.Skip(static_cast<int>(len))) return false;
    *out = record.substr(static_cast<size_t>(at), len);
    return true;
  };
  // A field this scan reads has field number `known` or below; those with a
  // wire type it does not expect go to the parser, the others are skipped.
  auto skip_unknown = [&](uint32_t tag, uint32_t known) {
    return (tag >> 3) > known && SkipField(in, tag);
  };

  // BytesList / FloatList / Int64List: their values are field 1.
  auto scan_bytes = [&](int end) {
    return ForEachField(in, end, [&](uint32_t tag) {
      if (tag == Tag(1, kLengthDelimited)) return read_view(end, &bytes_.emplace_back());
      return skip_unknown(tag, 1);
    });
  };
  auto scan_floats = [&](int end) {
    return ForEachField(in, end, [&](uint32_t tag) {
      if (tag == Tag(1, kLengthDelimited)) {  // packed, as every writer does
        uint32_t len;
        if (!in.ReadVarint32(&len) || len % 4 != 0 ||
            len > static_cast<uint32_t>(end - in.CurrentPosition())) {
          return false;
        }
        if (len == 4) {  // tabular data's one value: no resize and copy call
          uint32_t bits;
          if (!in.ReadLittleEndian32(&bits)) return false;
          floats_.push_back(std::bit_cast<float>(bits));
          return true;
        }
        const size_t at = floats_.size();
        floats_.resize(at + len / 4);
        return in.ReadRaw(floats_.data() + at, static_cast<int>(len));
      }
      if (tag == Tag(1, kFixed32)) {  // one unpacked value
        uint32_t bits;
        if (!in.ReadLittleEndian32(&bits)) return false;
        floats_.push_back(std::bit_cast<float>(bits));
        return true;
      }
      return skip_unknown(tag, 1);
    });
  };
  auto read_int = [&] {
    uint64_t v;
    if (!in.ReadVarint64(&v)) return false;
    ints_.push_back(static_cast<int64_t>(v));
    return true;
  };
  auto scan_ints = [&](int end) {
    return ForEachField(in, end, [&](uint32_t tag) {
      if (tag == Tag(1, kLengthDelimited)) {  // packed varints
        return InSubmessage(in, end, [&](int packed_end) {
          while (in.CurrentPosition() < packed_end) {
            if (!read_int()) return false;
          }
          return true;
        });
      }
      if (tag == Tag(1, kVarint)) return read_int();  // one unpacked value
      return skip_unknown(tag, 1);
    });
  };
  // Feature: at most one of its oneof's fields (more goes to the parser,
  // which merges or replaces them as protobuf does).
  auto scan_feature = [&](int end, FeatureView* f, size_t* first) {
    return ForEachField(in, end, [&](uint32_t tag) {
      const uint32_t field = tag >> 3;
      if (field < 1 || field > 3) return skip_unknown(tag, 3);
      if (f->kind != ListKind::kNone || (tag & 7) != kLengthDelimited) return false;
      bool ok;
      if (field == 1) {
        f->kind = ListKind::kBytes;
        *first = bytes_.size();
        ok = InSubmessage(in, end, scan_bytes);
        f->size = static_cast<uint32_t>(bytes_.size() - *first);
      } else if (field == 2) {
        f->kind = ListKind::kFloat;
        *first = floats_.size();
        ok = InSubmessage(in, end, scan_floats);
        f->size = static_cast<uint32_t>(floats_.size() - *first);
      } else {
        f->kind = ListKind::kInt64;
        *first = ints_.size();
        ok = InSubmessage(in, end, scan_ints);
        f->size = static_cast<uint32_t>(ints_.size() - *first);
      }
      return ok;
    });
  };
  // A map entry: key (1) and value (2), each at most once.
  auto scan_entry = [&](int end) {
    // Filled in place: a FeatureView built on the stack and copied in stalled
    // on store forwarding (a fifth of the scan).
    FeatureView& f = features_.emplace_back();
    size_t& first = first_value_.emplace_back(0);
    bool have_key = false, have_value = false;
    bool ok = ForEachField(in, end, [&](uint32_t tag) {
      if (tag == Tag(1, kLengthDelimited)) {
        if (have_key) return false;
        have_key = true;
        return read_view(end, &f.name);
      }
      if (tag == Tag(2, kLengthDelimited)) {
        if (have_value) return false;
        have_value = true;
        return InSubmessage(in, end,
                            [&](int value_end) { return scan_feature(value_end, &f, &first); });
      }
      return skip_unknown(tag, 2);
    });
    return ok;
  };
  auto scan_features = [&](int end) {
    return ForEachField(in, end, [&](uint32_t tag) {
      if (tag == Tag(1, kLengthDelimited)) return InSubmessage(in, end, scan_entry);
      return skip_unknown(tag, 1);
    });
  };

  const int record_end = static_cast<int>(record.size());
  bool have_features = false;
  bool ok = ForEachField(in, record_end, [&](uint32_t tag) {
    if (tag == Tag(1, kLengthDelimited)) {
      if (have_features) return false;  // two Features messages merge: the parser's job
      have_features = true;
      return InSubmessage(in, record_end, scan_features);
    }
    return skip_unknown(tag, 1);
  });
  if (!ok) return false;

  // The scratch vectors are complete: point the views into them.
  for (size_t i = 0; i < features_.size(); ++i) {
    FeatureView& f = features_[i];
    if (f.kind == ListKind::kFloat) f.floats = floats_.data() + first_value_[i];
    if (f.kind == ListKind::kInt64) f.ints = ints_.data() + first_value_[i];
    if (f.kind == ListKind::kBytes) f.bytes = bytes_.data() + first_value_[i];
  }
  return CheckNames();
}

bool ExampleView::SameNamesAsPrevious() const {
  if (features_.size() != previous_name_ends_.size()) return false;
  for (size_t i = 0, start = 0; i < features_.size(); ++i) {
    const size_t end = previous_name_ends_[i];
    if (features_[i].name != std::string_view(previous_names_).substr(start, end - start)) {
      return false;
    }
    start = end;
  }
  return true;
}

void ExampleView::RememberNames() {
  previous_names_.clear();
  previous_name_ends_.clear();
  for (const FeatureView& f : features_) {
    previous_names_.append(f.name);
    previous_name_ends_.push_back(previous_names_.size());
  }
}

bool ExampleView::CheckNames() {
  names_unchanged_ = SameNamesAsPrevious();
  if (names_unchanged_) return true;  // checked when they were new
  // New names: what protobuf would refuse or merge is the parser's job.
  std::vector<std::string_view> sorted;
  sorted.reserve(features_.size());
  for (const FeatureView& f : features_) {
    if (!IsValidUtf8(f.name)) return false;
    sorted.push_back(f.name);
  }
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) return false;
  RememberNames();
  return true;
}

void ExampleView::Assign(const tensorflow::Example& example) {
  NextGeneration();
  Clear();
  for (const auto& [name, feature] : example.features().feature()) {
    FeatureView f;
    f.name = name;
    size_t first = 0;
    switch (feature.kind_case()) {
      case tensorflow::Feature::kBytesList:
        f.kind = ListKind::kBytes;
        f.size = static_cast<uint32_t>(feature.bytes_list().value_size());
        first = bytes_.size();
        for (const std::string& s : feature.bytes_list().value()) bytes_.emplace_back(s);
        break;
      case tensorflow::Feature::kFloatList:
        f.kind = ListKind::kFloat;
        f.size = static_cast<uint32_t>(feature.float_list().value_size());
        f.floats = feature.float_list().value().data();
        break;
      case tensorflow::Feature::kInt64List:
        f.kind = ListKind::kInt64;
        f.size = static_cast<uint32_t>(feature.int64_list().value_size());
        f.ints = feature.int64_list().value().data();
        break;
      case tensorflow::Feature::KIND_NOT_SET:
        break;
    }
    features_.push_back(f);
    first_value_.push_back(first);
  }
  for (size_t i = 0; i < features_.size(); ++i) {
    if (features_[i].kind == ListKind::kBytes) features_[i].bytes = bytes_.data() + first_value_[i];
  }
  // The names protobuf accepted are valid; remember them for the next call.
  names_unchanged_ = SameNamesAsPrevious();
  if (!names_unchanged_) RememberNames();
}

}  // namespace edgepipe::io
