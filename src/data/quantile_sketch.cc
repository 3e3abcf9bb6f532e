#include "src/data/quantile_sketch.h"

#include <algorithm>
#include <cmath>

namespace edgepipe::data {

namespace {
constexpr size_t kInitialSlots = 64;
constexpr size_t kMinLevelCapacity = 8;
}  // namespace

QuantileSketch::QuantileSketch(int k, int64_t max_exact_distinct, uint64_t seed)
    : k_(std::max(k, 8)),
      max_exact_distinct_(std::max<int64_t>(max_exact_distinct, 0)),
      rng_(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull),
      keys_(kInitialSlots, kEmpty),
      counts_(kInitialSlots, 0),
      shift_(64 - 6) {}

void QuantileSketch::InsertNewExact(size_t slot, uint64_t key, uint64_t weight) {
  if (distinct_ + 1 > max_exact_distinct_) {
    SwitchToKll();
    double value;
    std::memcpy(&value, &key, sizeof value);
    AddKll(value, weight);
    return;
  }
  keys_[slot] = key;
  counts_[slot] = weight;
  count_ += weight;
  ++distinct_;
  if (static_cast<size_t>(distinct_) * 2 > keys_.size()) GrowTable();
}

void QuantileSketch::GrowTable() {
  std::vector<uint64_t> old_keys = std::move(keys_);
  std::vector<uint64_t> old_counts = std::move(counts_);
  keys_.assign(old_keys.size() * 2, kEmpty);
  counts_.assign(old_keys.size() * 2, 0);
  --shift_;
  size_t mask = keys_.size() - 1;
  for (size_t j = 0; j < old_keys.size(); ++j) {
    if (old_keys[j] == kEmpty) continue;
    size_t i = (old_keys[j] * 0x9E3779B97F4A7C15ull) >> shift_;
    while (keys_[i] != kEmpty) i = (i + 1) & mask;
    keys_[i] = old_keys[j];
    counts_[i] = old_counts[j];
  }
}

void QuantileSketch::SwitchToKll() {
  std::vector<uint64_t> keys = std::move(keys_);
  std::vector<uint64_t> counts = std::move(counts_);
  keys_ = {};
  counts_ = {};
  exact_ = false;
  distinct_ = 0;
  levels_.clear();
  AddLevel();
  count_ = 0;  // AddKll counts the values again
  for (size_t j = 0; j < keys.size(); ++j) {
    if (keys[j] == kEmpty) continue;
    double value;
    std::memcpy(&value, &keys[j], sizeof value);
    AddKll(value, counts[j]);
  }
}

size_t QuantileSketch::LevelCapacity(size_t level) const { return capacities_[level]; }

void QuantileSketch::AddLevel() {
  levels_.emplace_back();
  // depth 0 is the top level; capacities shrink by 2/3 per level down.
  capacities_.resize(levels_.size());
  kll_capacity_ = 0;
  for (size_t level = 0; level < levels_.size(); ++level) {
    size_t depth = levels_.size() - 1 - level;
    double cap = k_ * std::pow(2.0 / 3.0, static_cast<double>(depth));
    capacities_[level] = std::max(kMinLevelCapacity, static_cast<size_t>(std::ceil(cap)));
    kll_capacity_ += capacities_[level];
  }
}

uint64_t QuantileSketch::NextRandomBit() {
  // splitmix64
  rng_ += 0x9E3779B97F4A7C15ull;
  uint64_t z = rng_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return (z ^ (z >> 31)) & 1;
}

void QuantileSketch::AddKll(double value, uint64_t weight) {
  if (value == 0) value = 0;
  count_ += weight;
  // weight = sum of 2^h over its set bits: one item per set bit.
  for (size_t h = 0; weight != 0; ++h, weight >>= 1) {
    if ((weight & 1) == 0) continue;
    while (levels_.size() <= h) AddLevel();
    levels_[h].push_back(value);
    ++kll_items_;
  }
  if (kll_items_ > kll_capacity_) Compress();
}

void QuantileSketch::Compress() {
  while (kll_items_ > kll_capacity_) {
    size_t level = 0;
    while (level < levels_.size() && levels_[level].size() < LevelCapacity(level)) ++level;
    if (level == levels_.size()) break;  // no level is full: capacity grew meanwhile
    CompactLevel(level);
  }
}

void QuantileSketch::CompactLevel(size_t level) {
  if (level + 1 == levels_.size()) AddLevel();
  std::vector<double>& items = levels_[level];
  std::sort(items.begin(), items.end());
  // An odd item out stays at this level (the largest, kept aside).
  double leftover = 0;
  bool has_leftover = items.size() % 2 == 1;
  if (has_leftover) {
    leftover = items.back();
    items.pop_back();
  }
  size_t offset = NextRandomBit();
  std::vector<double>& up = levels_[level + 1];
  for (size_t i = offset; i < items.size(); i += 2) up.push_back(items[i]);
  kll_items_ -= items.size() / 2;
  items.clear();
  if (has_leftover) items.push_back(leftover);
}

void QuantileSketch::Merge(const QuantileSketch& other) {
  if (other.count_ == 0) return;
  if (other.exact_) {
    for (size_t j = 0; j < other.keys_.size(); ++j) {
      if (other.keys_[j] == kEmpty) continue;
      double value;
      std::memcpy(&value, &other.keys_[j], sizeof value);
      AddWeighted(value, other.counts_[j]);
    }
    return;
  }
  if (exact_) SwitchToKll();
  while (levels_.size() < other.levels_.size()) AddLevel();
  for (size_t h = 0; h < other.levels_.size(); ++h) {
    levels_[h].insert(levels_[h].end(), other.levels_[h].begin(), other.levels_[h].end());
    kll_items_ += other.levels_[h].size();
  }
  count_ += other.count_;
  Compress();
}

std::vector<std::pair<double, uint64_t>> QuantileSketch::WeightedItems() const {
  std::vector<std::pair<double, uint64_t>> items;
  if (exact_) {
    items.reserve(static_cast<size_t>(distinct_));
    for (size_t j = 0; j < keys_.size(); ++j) {
      if (keys_[j] == kEmpty) continue;
      double value;
      std::memcpy(&value, &keys_[j], sizeof value);
      items.emplace_back(value, counts_[j]);
    }
  } else {
    items.reserve(kll_items_);
    for (size_t h = 0; h < levels_.size(); ++h) {
      for (double v : levels_[h]) items.emplace_back(v, uint64_t{1} << h);
    }
  }
  std::sort(items.begin(), items.end());
  return items;
}

std::vector<double> QuantileSketch::Quantiles(const std::vector<double>& qs) const {
  std::vector<double> out(qs.size(), 0.0);
  if (count_ == 0) return out;
  std::vector<std::pair<double, uint64_t>> items = WeightedItems();
  for (size_t i = 0; i < qs.size(); ++i) {
    double q = std::clamp(qs[i], 0.0, 1.0);
    uint64_t target =
        std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
    uint64_t cumulative = 0;
    out[i] = items.back().first;
    for (const auto& [value, weight] : items) {
      cumulative += weight;
      if (cumulative >= target) {
        out[i] = value;
        break;
      }
    }
  }
  return out;
}

double QuantileSketch::Quantile(double q) const { return Quantiles({q})[0]; }

}  // namespace edgepipe::data
