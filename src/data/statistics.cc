#include "src/data/statistics.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <mutex>

#include "src/core/utf8.h"
#include "src/data/record_pass.h"
#include "src/io/example.h"
#include "src/io/example_view.h"
#include "src/io/tfrecord.h"

namespace edgepipe::data {

namespace {

constexpr int kHllBits = 12;
// Numbers per feature buffered before a sketch update (see Feature::pending).
constexpr size_t kColumnBatch = 1024;

uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

enum class Kind { kUnknown, kInt, kFloat, kBytes };

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kUnknown:
      return "no list";
    case Kind::kInt:
      return "int64_list";
    case Kind::kFloat:
      return "float_list";
    case Kind::kBytes:
      return "bytes_list";
  }
  return "?";
}

// Count, mean and sum of squared deviations of a sample; Merge is Chan et
// al.'s parallel update, exact up to rounding.
struct Moments {
  uint64_t n = 0;
  double mean = 0;
  double m2 = 0;
  void Merge(uint64_t nb, double mean_b, double m2_b) {
    if (nb == 0) return;
    if (n == 0) {
      n = nb;
      mean = mean_b;
      m2 = m2_b;
      return;
    }
    double total = static_cast<double>(n + nb);
    double delta = mean_b - mean;
    mean += delta * static_cast<double>(nb) / total;
    m2 += m2_b + delta * delta * static_cast<double>(n) * static_cast<double>(nb) / total;
    n += nb;
  }
};

std::string FormatNumber(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

// ---- StringCounter ------------------------------------------------------------

StringCounter::StringCounter(int64_t capacity)
    : capacity_(std::max<int64_t>(capacity, 1)), hll_(size_t{1} << kHllBits, 0) {}

void StringCounter::Add(std::string_view value, uint64_t weight) {
  uint64_t h = Mix64(std::hash<std::string_view>{}(value));
  size_t reg = h >> (64 - kHllBits);
  uint64_t rest = (h << kHllBits) | (uint64_t{1} << (kHllBits - 1));
  uint8_t rho = static_cast<uint8_t>(std::countl_zero(rest) + 1);
  hll_[reg] = std::max(hll_[reg], rho);
  auto it = counts_.find(value);
  if (it != counts_.end()) {
    it->second += weight;
    return;
  }
  counts_.emplace(std::string(value), weight);
  if (static_cast<int64_t>(counts_.size()) > capacity_) Purge();
}

void StringCounter::Purge() {
  // Misra-Gries with a batched decrement: subtract the median count from
  // every count and drop what reaches zero (at least half the entries).
  std::vector<uint64_t> counts;
  counts.reserve(counts_.size());
  for (const auto& [value, count] : counts_) counts.push_back(count);
  auto mid = counts.begin() + static_cast<ptrdiff_t>(counts.size() / 2);
  std::nth_element(counts.begin(), mid, counts.end());
  uint64_t median = *mid;
  for (auto it = counts_.begin(); it != counts_.end();) {
    if (it->second <= median) {
      it = counts_.erase(it);
    } else {
      it->second -= median;
      ++it;
    }
  }
  decremented_ += median;
}

void StringCounter::AppendTo(ByteWriter* w) const {
  w->Put<uint64_t>(decremented_);
  w->PutString(std::string_view(reinterpret_cast<const char*>(hll_.data()), hll_.size()));
  w->Put<uint64_t>(counts_.size());
  for (const auto& [value, count] : counts_) {
    w->PutString(value);
    w->Put<uint64_t>(count);
  }
}

Status StringCounter::MergeFrom(ByteReader* r) {
  StringCounter other(capacity_);
  std::string hll;
  uint64_t n = 0;
  RETURN_IF_ERROR(r->Get(&other.decremented_));
  RETURN_IF_ERROR(r->GetString(&hll));
  if (hll.size() != other.hll_.size()) {
    return Status::Corruption("string counter: " + std::to_string(hll.size()) +
                              " HyperLogLog registers, expected " +
                              std::to_string(other.hll_.size()));
  }
  std::memcpy(other.hll_.data(), hll.data(), hll.size());
  RETURN_IF_ERROR(r->Get(&n));
  std::string value;
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t count = 0;
    RETURN_IF_ERROR(r->GetString(&value));
    RETURN_IF_ERROR(r->Get(&count));
    other.counts_[value] = count;
  }
  Merge(other);
  return Status::OK();
}

void StringCounter::Merge(const StringCounter& other) {
  for (size_t i = 0; i < hll_.size(); ++i) hll_[i] = std::max(hll_[i], other.hll_[i]);
  for (const auto& [value, count] : other.counts_) {
    auto it = counts_.find(value);
    if (it != counts_.end()) {
      it->second += count;
    } else {
      counts_.emplace(value, count);
    }
  }
  decremented_ += other.decremented_;
  while (static_cast<int64_t>(counts_.size()) > capacity_) Purge();
}

uint64_t StringCounter::Unique() const {
  if (exact()) return counts_.size();
  const double m = static_cast<double>(hll_.size());
  double sum = 0;
  int zeros = 0;
  for (uint8_t r : hll_) {
    sum += std::ldexp(1.0, -r);
    zeros += r == 0;
  }
  double estimate = 0.7213 / (1 + 1.079 / m) * m * m / sum;
  if (estimate <= 2.5 * m && zeros > 0) estimate = m * std::log(m / zeros);  // linear counting
  return static_cast<uint64_t>(std::llround(estimate));
}

std::vector<std::pair<std::string, uint64_t>> StringCounter::Top(size_t n) const {
  std::vector<std::pair<std::string, uint64_t>> all(counts_.begin(), counts_.end());
  auto by_count = [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  };
  n = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<ptrdiff_t>(n), all.end(), by_count);
  all.resize(n);
  return all;
}

// ---- StatisticsAccumulator ----------------------------------------------------

struct StatisticsAccumulator::Feature {
  Feature(const StatisticsOptions& options, uint64_t seed)
      : num_values(options.quantile_sketch_k, options.max_exact_distinct_numbers, seed),
        values(options.quantile_sketch_k, options.max_exact_distinct_numbers, seed + 1),
        strings(options.max_tracked_strings) {}

  // Touched once per example (kept together: one cache line per feature).
  std::string_view name;  // the key of features_ that owns this Feature
  Kind kind = Kind::kUnknown;
  uint64_t num_non_missing = 0;
  uint64_t min_num_values = std::numeric_limits<uint64_t>::max();
  uint64_t max_num_values = 0;
  uint64_t tot_num_values = 0;
  // Runs of equal value counts go into num_values as one weighted add.
  uint64_t count_run_value = 0;
  uint64_t count_run_length = 0;
  // Numbers of short lists wait here until a column batch is full. A pass
  // over tabular data touches every feature for each example; updating each
  // feature's sketch there and then missed the cache for every value (784
  // features' tables are ~50 MB), while a batch of a column is one feature's
  // update in one loop.
  std::vector<double> pending;

  QuantileSketch num_values;  // number of values per example
  // numbers
  uint64_t num_nan = 0;
  uint64_t num_zeros = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  Moments moments;
  QuantileSketch values;
  // strings
  StringCounter strings;
  uint64_t total_bytes = 0;

  // Numbers (of one example or of a column batch): T is float, int64_t or
  // double.
  template <typename T>
  void AddNumbers(const T* v, size_t n) {
    if (n == 1) {  // tabular data: one value per feature per example
      const double x = static_cast<double>(v[0]);
      if (x != x) {
        ++num_nan;
        return;
      }
      num_zeros += x == 0;
      min = std::min(min, x);
      max = std::max(max, x);
      moments.Merge(1, x, 0);
      values.Add(x);
      return;
    }
    // Pass 1: count, sum, min, max, zeros; four lanes to break dependency chains.
    double sum[4] = {0, 0, 0, 0};
    double lo[4], hi[4];
    uint64_t zeros[4] = {0, 0, 0, 0}, nans[4] = {0, 0, 0, 0};
    for (int l = 0; l < 4; ++l) {
      lo[l] = std::numeric_limits<double>::infinity();
      hi[l] = -std::numeric_limits<double>::infinity();
    }
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
      for (int l = 0; l < 4; ++l) {
        double x = static_cast<double>(v[i + l]);
        bool nan = x != x;
        nans[l] += nan;
        x = nan ? 0.0 : x;
        sum[l] += x;
        zeros[l] += !nan && x == 0;
        lo[l] = nan ? lo[l] : (x < lo[l] ? x : lo[l]);
        hi[l] = nan ? hi[l] : (x > hi[l] ? x : hi[l]);
      }
    }
    for (; i < n; ++i) {
      double x = static_cast<double>(v[i]);
      bool nan = x != x;
      nans[0] += nan;
      if (nan) continue;
      sum[0] += x;
      zeros[0] += x == 0;
      lo[0] = std::min(lo[0], x);
      hi[0] = std::max(hi[0], x);
    }
    uint64_t nan_count = nans[0] + nans[1] + nans[2] + nans[3];
    uint64_t count = n - nan_count;
    num_nan += nan_count;
    num_zeros += zeros[0] + zeros[1] + zeros[2] + zeros[3];
    if (count == 0) return;
    min = std::min({min, lo[0], lo[1], lo[2], lo[3]});
    max = std::max({max, hi[0], hi[1], hi[2], hi[3]});
    double mean = (sum[0] + sum[1] + sum[2] + sum[3]) / static_cast<double>(count);
    // Pass 2: squared deviations from this example's mean; and the sketch.
    double m2[4] = {0, 0, 0, 0};
    i = 0;
    if (nan_count == 0) {
      for (; i + 4 <= n; i += 4) {
        for (int l = 0; l < 4; ++l) {
          double d = static_cast<double>(v[i + l]) - mean;
          m2[l] += d * d;
        }
      }
    }
    for (; i < n; ++i) {
      double x = static_cast<double>(v[i]);
      if (x != x) continue;
      m2[0] += (x - mean) * (x - mean);
    }
    if (std::isfinite(mean)) {
      moments.Merge(count, mean, m2[0] + m2[1] + m2[2] + m2[3]);
    } else {
      moments.Merge(count, mean, 0);  // an infinity: the mean is infinite, std NaN
    }
    // Runs of equal values (an image's black background) go in as one weighted add.
    double run_value = 0;
    uint64_t run = 0;
    for (i = 0; i < n; ++i) {
      double x = static_cast<double>(v[i]);
      if (x != x) continue;
      if (x == run_value) {
        ++run;
        continue;
      }
      if (run > 0) values.AddWeighted(run_value, run);
      run_value = x;
      run = 1;
    }
    if (run > 0) values.AddWeighted(run_value, run);
  }

  void AddValueCount(uint64_t n) {
    ++num_non_missing;
    min_num_values = std::min(min_num_values, n);
    max_num_values = std::max(max_num_values, n);
    tot_num_values += n;
    if (n == count_run_value) {
      ++count_run_length;
      return;
    }
    num_values.AddWeighted(static_cast<double>(count_run_value), count_run_length);
    count_run_value = n;
    count_run_length = 1;
  }

  // One example's numbers: long lists at once, short ones through `pending`.
  template <typename T>
  void AddList(const T* v, size_t n) {
    if (n >= kColumnBatch) {
      AddNumbers(v, n);
      return;
    }
    if (n == 1) {
      pending.push_back(static_cast<double>(v[0]));  // tabular data; no range insert
    } else {
      pending.insert(pending.end(), v, v + n);
    }
    if (pending.size() >= kColumnBatch) FlushPending();
  }

  // Everything buffered goes into the figures (before Finish or a merge).
  void FlushPending() {
    if (!pending.empty()) AddNumbers(pending.data(), pending.size());
    pending.clear();
    num_values.AddWeighted(static_cast<double>(count_run_value), count_run_length);
    count_run_length = 0;
  }

  void Merge(const Feature& other) {
    // What `other` still buffers joins ours.
    AddList(other.pending.data(), other.pending.size());
    num_values.AddWeighted(static_cast<double>(other.count_run_value), other.count_run_length);
    num_non_missing += other.num_non_missing;
    min_num_values = std::min(min_num_values, other.min_num_values);
    max_num_values = std::max(max_num_values, other.max_num_values);
    tot_num_values += other.tot_num_values;
    num_values.Merge(other.num_values);
    num_nan += other.num_nan;
    num_zeros += other.num_zeros;
    min = std::min(min, other.min);
    max = std::max(max, other.max);
    moments.Merge(other.moments.n, other.moments.mean, other.moments.m2);
    values.Merge(other.values);
    strings.Merge(other.strings);
    total_bytes += other.total_bytes;
  }
};

StatisticsAccumulator::StatisticsAccumulator(const StatisticsOptions& options, uint64_t seed)
    : options_(options), seed_(seed) {}
StatisticsAccumulator::StatisticsAccumulator(StatisticsAccumulator&&) noexcept = default;
StatisticsAccumulator& StatisticsAccumulator::operator=(StatisticsAccumulator&&) noexcept = default;
StatisticsAccumulator::~StatisticsAccumulator() = default;

StatisticsAccumulator::Feature* StatisticsAccumulator::FeatureNamed(std::string_view name) {
  // A hash index over features_ (a tree, kept for the name order Finish
  // needs): 784 tree lookups per example were an eighth of a pass over
  // per-pixel tabular data.
  auto hit = index_.find(name);
  if (hit != index_.end()) return hit->second;
  auto it =
      features_
          .emplace(std::string(name), std::make_unique<Feature>(options_, seed_ * 0x100000001B3ull +
                                                                              features_.size() * 2))
          .first;
  it->second->name = it->first;
  index_.emplace(std::string_view(it->first), it->second.get());
  return it->second.get();
}

Status StatisticsAccumulator::AddExample(const tensorflow::Example& example) {
  io::ExampleView view;
  view.Assign(example);
  return AddExample(view);
}

Status StatisticsAccumulator::AddExample(const io::ExampleView& example) {
  const std::vector<io::FeatureView>& features = example.features();
  // Examples mostly list the same keys in the same order (writers sort them):
  // when the view says this example has the names of the one it gave us last,
  // the features found by position then are this example's too.
  const bool same_names = last_generation_ != 0 &&
                          example.previous_generation() == last_generation_ &&
                          example.names_unchanged() && by_position_.size() == features.size();
  last_generation_ = example.generation();
  if (!same_names) by_position_.assign(features.size(), nullptr);
  for (size_t i = 0; i < features.size(); ++i) {
    const io::FeatureView& value = features[i];
    Feature* found = by_position_[i];
    if (found == nullptr) {
      found = FeatureNamed(value.name);
      by_position_[i] = found;
    }
    Feature& f = *found;
    Kind kind = Kind::kUnknown;
    switch (value.kind) {
      case io::ListKind::kInt64:
        kind = Kind::kInt;
        break;
      case io::ListKind::kFloat:
        kind = Kind::kFloat;
        break;
      case io::ListKind::kBytes:
        kind = Kind::kBytes;
        break;
      case io::ListKind::kNone:
        break;
    }
    if (kind != Kind::kUnknown && f.kind != Kind::kUnknown && kind != f.kind) {
      return Status::InvalidArgument("feature '" + std::string(value.name) + "': " +
                                     KindName(kind) + " here, " + KindName(f.kind) + " before");
    }
    if (kind != Kind::kUnknown) f.kind = kind;
    const size_t n = value.size;
    f.AddValueCount(n);
    switch (kind) {
      case Kind::kInt:
        f.AddList(value.ints, n);
        break;
      case Kind::kFloat:
        f.AddList(value.floats, n);
        break;
      case Kind::kBytes:
        for (size_t k = 0; k < n; ++k) {
          f.strings.Add(value.bytes[k]);
          f.total_bytes += value.bytes[k].size();
        }
        break;
      case Kind::kUnknown:
        break;
    }
  }
  ++num_examples_;
  return Status::OK();
}

Status StatisticsAccumulator::Merge(const StatisticsAccumulator& other) {
  for (const auto& [name, theirs] : other.features_) {
    Feature& ours = *FeatureNamed(name);
    if (theirs->kind != Kind::kUnknown && ours.kind != Kind::kUnknown &&
        theirs->kind != ours.kind) {
      return Status::InvalidArgument("feature '" + name + "': " + KindName(ours.kind) +
                                     " in some examples, " + KindName(theirs->kind) + " in others");
    }
    if (theirs->kind != Kind::kUnknown) ours.kind = theirs->kind;
    ours.Merge(*theirs);
  }
  num_examples_ += other.num_examples_;
  return Status::OK();
}

std::string StatisticsAccumulator::SerializeState() {
  ByteWriter w;
  w.Put<int64_t>(num_examples_);
  w.Put<uint64_t>(features_.size());
  for (auto& [name, f] : features_) {
    f->FlushPending();
    w.PutString(name);
    w.Put<int32_t>(static_cast<int32_t>(f->kind));
    for (uint64_t v : {f->num_non_missing, f->min_num_values, f->max_num_values, f->tot_num_values,
                       f->num_nan, f->num_zeros, f->moments.n, f->total_bytes}) {
      w.Put<uint64_t>(v);
    }
    for (double v : {f->min, f->max, f->moments.mean, f->moments.m2}) w.Put<double>(v);
    f->num_values.AppendTo(&w);
    f->values.AppendTo(&w);
    f->strings.AppendTo(&w);
  }
  return w.Release();
}

Status StatisticsAccumulator::MergeSerialized(std::string_view bytes, const std::string& what) {
  StatisticsAccumulator other(options_, seed_);
  ByteReader r(bytes, what);
  uint64_t n = 0;
  RETURN_IF_ERROR(r.Get(&other.num_examples_));
  RETURN_IF_ERROR(r.Get(&n));
  std::string name;
  for (uint64_t i = 0; i < n; ++i) {
    RETURN_IF_ERROR(r.GetString(&name));
    Feature& f = *other.FeatureNamed(name);
    int32_t kind = 0;
    RETURN_IF_ERROR(r.Get(&kind));
    if (kind < static_cast<int32_t>(Kind::kUnknown) || kind > static_cast<int32_t>(Kind::kBytes)) {
      return Status::Corruption(what + ": feature '" + name + "': bad kind " +
                                std::to_string(kind));
    }
    f.kind = static_cast<Kind>(kind);
    for (uint64_t* v : {&f.num_non_missing, &f.min_num_values, &f.max_num_values, &f.tot_num_values,
                        &f.num_nan, &f.num_zeros, &f.moments.n, &f.total_bytes}) {
      RETURN_IF_ERROR(r.Get(v));
    }
    for (double* v : {&f.min, &f.max, &f.moments.mean, &f.moments.m2}) RETURN_IF_ERROR(r.Get(v));
    Status st = f.num_values.MergeFrom(&r);
    if (st.ok()) st = f.values.MergeFrom(&r);
    if (st.ok()) st = f.strings.MergeFrom(&r);
    if (!st.ok()) return st.WithContext(what + ": feature '" + name + "'");
  }
  RETURN_IF_ERROR(r.ExpectEnd());
  return Merge(other);
}

namespace {

// Quantile edges of `sketch`: `buckets` buckets of count/buckets samples each.
void QuantilesHistogram(const QuantileSketch& sketch, int buckets, tfmd::Histogram* out) {
  out->set_type(tfmd::Histogram::QUANTILES);
  if (sketch.count() == 0 || buckets <= 0) return;
  std::vector<double> qs;
  for (int i = 0; i <= buckets; ++i) qs.push_back(static_cast<double>(i) / buckets);
  std::vector<double> edges = sketch.Quantiles(qs);
  double per_bucket = static_cast<double>(sketch.count()) / buckets;
  for (int i = 0; i < buckets; ++i) {
    tfmd::Histogram::Bucket* b = out->add_buckets();
    b->set_low_value(edges[i]);
    b->set_high_value(edges[i + 1]);
    b->set_sample_count(per_bucket);
  }
}

// `buckets` equal-width buckets over [min, max] (the last one closed).
void StandardHistogram(const QuantileSketch& sketch, double min, double max, int buckets,
                       tfmd::Histogram* out) {
  out->set_type(tfmd::Histogram::STANDARD);
  if (sketch.count() == 0 || buckets <= 0) return;
  double width = (max - min) / buckets;
  if (!(width > 0) || !std::isfinite(width)) {
    tfmd::Histogram::Bucket* b = out->add_buckets();
    b->set_low_value(min);
    b->set_high_value(max);
    b->set_sample_count(static_cast<double>(sketch.count()));
    return;
  }
  std::vector<double> counts(static_cast<size_t>(buckets), 0.0);
  for (const auto& [value, weight] : sketch.WeightedItems()) {
    double pos = std::floor((value - min) / width);
    int index = pos < 0 ? 0 : pos >= buckets ? buckets - 1 : static_cast<int>(pos);
    counts[static_cast<size_t>(index)] += static_cast<double>(weight);
  }
  for (int i = 0; i < buckets; ++i) {
    tfmd::Histogram::Bucket* b = out->add_buckets();
    b->set_low_value(min + width * i);
    b->set_high_value(i + 1 == buckets ? max : min + width * (i + 1));
    b->set_sample_count(counts[static_cast<size_t>(i)]);
  }
}

}  // namespace

tfmd::DatasetFeatureStatistics StatisticsAccumulator::Finish(const std::string& name) {
  for (auto& [feature_name, f] : features_) f->FlushPending();
  tfmd::DatasetFeatureStatistics out;
  out.set_name(name);
  out.set_num_examples(static_cast<uint64_t>(num_examples_));
  for (const auto& [feature_name, fp] : features_) {
    const Feature& f = *fp;
    tfmd::FeatureNameStatistics* stats = out.add_features();
    stats->mutable_path()->add_step(feature_name);
    tfmd::CommonStatistics* common;
    if (f.kind == Kind::kBytes) {
      stats->set_type(tfmd::FeatureNameStatistics::STRING);
      tfmd::StringStatistics* s = stats->mutable_string_stats();
      common = s->mutable_common_stats();
      s->set_unique(f.strings.Unique());
      if (f.tot_num_values > 0) {
        s->set_avg_length(static_cast<float>(static_cast<double>(f.total_bytes) /
                                             static_cast<double>(f.tot_num_values)));
      }
      size_t wanted = static_cast<size_t>(
          std::max(0, std::max(options_.num_top_values, options_.num_rank_histogram_buckets)));
      auto top = f.strings.Top(wanted);
      for (size_t i = 0; i < top.size(); ++i) {
        // Raw bytes (a JPEG in a bytes_list) in these proto3 strings made a
        // FeatureStats.pb that protobuf refuses to parse.
        if (!IsValidUtf8(top[i].first)) top[i].first = kNonUtf8Placeholder;
        if (static_cast<int>(i) < options_.num_top_values) {
          auto* tv = s->add_top_values();
          tv->set_value(top[i].first);
          tv->set_frequency(static_cast<double>(top[i].second));
        }
        if (static_cast<int>(i) < options_.num_rank_histogram_buckets) {
          auto* b = s->mutable_rank_histogram()->add_buckets();
          b->set_low_rank(i);
          b->set_high_rank(i);
          b->set_label(top[i].first);
          b->set_sample_count(static_cast<double>(top[i].second));
        }
      }
    } else {
      stats->set_type(f.kind == Kind::kInt ? tfmd::FeatureNameStatistics::INT
                                           : tfmd::FeatureNameStatistics::FLOAT);
      tfmd::NumericStatistics* n = stats->mutable_num_stats();
      common = n->mutable_common_stats();
      if (f.moments.n > 0) {
        n->set_mean(f.moments.mean);
        n->set_std_dev(std::sqrt(std::max(0.0, f.moments.m2 / static_cast<double>(f.moments.n))));
        n->set_min(f.min);
        n->set_max(f.max);
        n->set_median(f.values.Quantile(0.5));
      }
      n->set_num_zeros(f.num_zeros);
      if (f.kind != Kind::kUnknown) {
        tfmd::Histogram* standard = n->add_histograms();
        standard->set_num_nan(f.num_nan);
        StandardHistogram(f.values, f.min, f.max, options_.num_histogram_buckets, standard);
        tfmd::Histogram* quantiles = n->add_histograms();
        quantiles->set_num_nan(f.num_nan);
        QuantilesHistogram(f.values, options_.num_quantiles_histogram_buckets, quantiles);
      }
    }
    common->set_num_non_missing(f.num_non_missing);
    common->set_num_missing(static_cast<uint64_t>(num_examples_) - f.num_non_missing);
    if (f.num_non_missing > 0) {
      common->set_min_num_values(f.min_num_values);
      common->set_max_num_values(f.max_num_values);
      common->set_avg_num_values(static_cast<float>(static_cast<double>(f.tot_num_values) /
                                                    static_cast<double>(f.num_non_missing)));
    }
    common->set_tot_num_values(f.tot_num_values);
    QuantilesHistogram(f.num_values, options_.num_values_histogram_buckets,
                       common->mutable_num_values_histogram());
  }
  return out;
}

// ---- ComputeStatistics --------------------------------------------------------

StatusOr<tfmd::DatasetFeatureStatistics> ComputeStatistics(const std::vector<std::string>& files,
                                                           const std::string& name,
                                                           const StatisticsOptions& options,
                                                           ThreadPool* pool) {
  ASSIGN_OR_RETURN(StatisticsAccumulator all, AccumulateStatistics(files, options, pool));
  return all.Finish(name);
}

StatusOr<StatisticsAccumulator> AccumulateStatistics(const std::vector<std::string>& files,
                                                     const StatisticsOptions& options,
                                                     ThreadPool* pool) {
  const int threads = pool->num_threads();
  std::vector<StatisticsAccumulator> partial;
  for (int t = 0; t < threads; ++t) partial.emplace_back(options, static_cast<uint64_t>(t + 1));
  // Records are read straight off the wire (io/example_view.h): building
  // protobuf messages was most of a pass over examples of many features.
  std::vector<io::ExampleView> views(static_cast<size_t>(threads));
  RETURN_IF_ERROR(ForEachRecordInRange(files, options.record_begin, options.record_end,
                                       options.records_per_batch, pool,
                                       [&](int slot, std::string_view record) -> Status {
                                         io::ExampleView& view = views[static_cast<size_t>(slot)];
                                         RETURN_IF_ERROR(view.Parse(record));
                                         return partial[static_cast<size_t>(slot)].AddExample(view);
                                       }));
  for (int t = 1; t < threads; ++t) RETURN_IF_ERROR(partial[0].Merge(partial[t]));
  return std::move(partial[0]);
}

// ---- Summaries ----------------------------------------------------------------

std::string FeatureName(const tfmd::FeatureNameStatistics& feature) {
  if (feature.has_path()) {
    std::string name;
    for (const std::string& step : feature.path().step()) {
      if (!name.empty()) name += ".";
      name += step;
    }
    return name;
  }
  return feature.name();
}

std::vector<FeatureSummary> SummarizeStatistics(const tfmd::DatasetFeatureStatistics& stats,
                                                int max_top_values) {
  std::vector<FeatureSummary> out;
  for (const tfmd::FeatureNameStatistics& f : stats.features()) {
    FeatureSummary s;
    s.name = FeatureName(f);
    s.type = tfmd::FeatureNameStatistics::Type_Name(f.type());
    const tfmd::CommonStatistics& common =
        f.has_string_stats() ? f.string_stats().common_stats() : f.num_stats().common_stats();
    s.count = std::to_string(common.num_non_missing());
    s.missing = std::to_string(common.num_missing());
    if (common.min_num_values() == common.max_num_values()) {
      s.values = std::to_string(common.min_num_values());
    } else {
      s.values = std::to_string(common.min_num_values()) + "-" +
                 std::to_string(common.max_num_values()) + " (avg " +
                 FormatNumber(common.avg_num_values()) + ")";
    }
    if (f.has_string_stats()) {
      const tfmd::StringStatistics& str = f.string_stats();
      s.unique = std::to_string(str.unique());
      for (int i = 0; i < str.top_values_size() && i < max_top_values; ++i) {
        if (i > 0) s.top_values += ", ";
        s.top_values +=
            str.top_values(i).value() + " (" + FormatNumber(str.top_values(i).frequency()) + ")";
      }
    } else {
      const tfmd::NumericStatistics& num = f.num_stats();
      s.mean = FormatNumber(num.mean());
      s.std_dev = FormatNumber(num.std_dev());
      s.min = FormatNumber(num.min());
      s.median = FormatNumber(num.median());
      s.max = FormatNumber(num.max());
      s.zeros = std::to_string(num.num_zeros());
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace edgepipe::data
