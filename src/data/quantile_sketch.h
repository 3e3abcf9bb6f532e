// QuantileSketch: a mergeable, bounded-memory summary of a stream of numbers
// that answers quantile and histogram queries (StatisticsGen's median,
// quantile and equal-width histograms).
//
// Two modes:
//   - exact: while the stream holds at most `max_exact_distinct` distinct
//     values, every distinct value is kept with its count (an open-addressing
//     table that grows as needed). Quantiles and histograms are then exact.
//     Pixel intensities, labels and value counts stay in this mode.
//   - KLL: past that, the sketch turns into a KLL sketch (Karnin, Lang,
//     Liberty, "Optimal Quantile Approximation in Streams", 2016): levels of
//     compactors, an item at level h standing for 2^h values, level capacities
//     k * (2/3)^depth (at least 8). Memory is O(k log(n / k)) doubles.
//     Error bound: the rank of a returned quantile is within eps * n of the
//     requested rank, eps = O(1/k) with high probability; for k = 200 Apache
//     DataSketches measures eps <= 1.65% at 99% confidence for this compactor
//     schedule, and quantile_sketch_test checks <= 1% on a million values.
//     Compaction keeps the odd or even items by a pseudo-random bit from a
//     seeded generator, so a given sequence of Adds and Merges is
//     reproducible; the answer depends on the order of Adds and Merges.
// Merging two exact sketches stays exact while the union fits; any other
// merge is a KLL merge (the exact side is added with its counts as weights).
//
// NaN is not a value here: callers count NaNs themselves and must not Add
// them. -0.0 and +0.0 are the same value.
//
// A value type; not thread-safe (use one per thread and Merge).
#ifndef EDGEPIPE_DATA_QUANTILE_SKETCH_H_
#define EDGEPIPE_DATA_QUANTILE_SKETCH_H_

#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "src/core/byte_buffer.h"
#include "src/core/status.h"

namespace edgepipe::data {

class QuantileSketch {
 public:
  static constexpr int kDefaultK = 200;
  static constexpr int64_t kDefaultMaxExactDistinct = 4096;

  explicit QuantileSketch(int k = kDefaultK, int64_t max_exact_distinct = kDefaultMaxExactDistinct,
                          uint64_t seed = 1);

  // Adds one value (not NaN).
  void Add(double value) {
    if (exact_) {
      AddExact(value, 1);
    } else {
      AddKll(value, 1);
    }
  }
  // Adds `weight` copies of `value` (not NaN).
  void AddWeighted(double value, uint64_t weight) {
    if (weight == 0) return;
    if (exact_) {
      AddExact(value, weight);
    } else {
      AddKll(value, weight);
    }
  }
  void Merge(const QuantileSketch& other);

  // The sketch as bytes for a sketch in another process (the ranks of an MPI
  // job, src/mpi): its weighted items (exact counts in exact mode, KLL items
  // with their weights otherwise). MergeFrom adds items read back with
  // AddWeighted, so an exact sketch arrives exact and a KLL one keeps its
  // rank-error bound plus at most one more compaction's. Corruption if the
  // bytes are truncated or hold a NaN.
  void AppendTo(ByteWriter* w) const;
  Status MergeFrom(ByteReader* r);

  // Number of values added (with weights).
  uint64_t count() const { return count_; }
  bool exact() const { return exact_; }

  // The summary as (value, weight) pairs sorted by value; weights sum to
  // count(). Exact counts in exact mode.
  std::vector<std::pair<double, uint64_t>> WeightedItems() const;

  // The smallest summarized value v with (weight of values <= v) >= ceil(q *
  // count()) (at least 1): q = 0 gives the minimum, q = 1 the maximum, q = 0.5
  // the lower median. q is clamped to [0, 1]; 0 when empty.
  double Quantile(double q) const;
  // Quantile for each of `qs` (ascending or not) from one sorted summary.
  std::vector<double> Quantiles(const std::vector<double>& qs) const;

 private:
  static constexpr uint64_t kEmpty = ~uint64_t{0};  // a NaN bit pattern, never a key

  static uint64_t Key(double value) {
    if (value == 0) value = 0;  // -0.0 -> +0.0
    uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    return bits;
  }
  static double KeyValue(uint64_t key) {
    double value;
    std::memcpy(&value, &key, sizeof value);
    return value;
  }
  void AddExact(double value, uint64_t weight) {
    uint64_t key = Key(value);
    size_t mask = slots_.size() - 1;
    size_t i = (key * 0x9E3779B97F4A7C15ull) >> shift_;
    for (;; i = (i + 1) & mask) {
      if (slots_[i].key == key) {
        slots_[i].count += weight;
        count_ += weight;
        return;
      }
      if (slots_[i].key == kEmpty) break;
    }
    InsertNewExact(i, key, weight);
  }
  void InsertNewExact(size_t slot, uint64_t key, uint64_t weight);
  void GrowTable();
  void SwitchToKll();
  void AddKll(double value, uint64_t weight);
  void Compress();
  void CompactLevel(size_t level);
  size_t LevelCapacity(size_t level) const;
  void AddLevel();  // a new top level; recomputes capacities_
  uint64_t NextRandomBit();

  int k_;
  int64_t max_exact_distinct_;
  uint64_t rng_;
  uint64_t count_ = 0;
  bool exact_ = true;
  // Exact mode: an open-addressing table of (double bits, count), kEmpty
  // marking a free slot; power-of-two size, load <= 1/2. Key and count share
  // a cache line: a pass over many features finds the tables cold.
  struct Slot {
    uint64_t key = kEmpty;
    uint64_t count = 0;
  };
  std::vector<Slot> slots_;
  int shift_ = 0;  // 64 - log2(slots_.size())
  int64_t distinct_ = 0;
  // KLL mode: levels_[h] holds items of weight 2^h.
  std::vector<std::vector<double>> levels_;
  std::vector<size_t> capacities_;  // per level
  size_t kll_items_ = 0;
  size_t kll_capacity_ = 0;  // sum of capacities_
};

}  // namespace edgepipe::data

#endif  // EDGEPIPE_DATA_QUANTILE_SKETCH_H_
