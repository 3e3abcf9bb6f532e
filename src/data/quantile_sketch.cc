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
      slots_(kInitialSlots),
      shift_(64 - 6) {}

void QuantileSketch::InsertNewExact(size_t slot, uint64_t key, uint64_t weight) {
  if (distinct_ + 1 > max_exact_distinct_) {
    SwitchToKll();
    double value;
    std::memcpy(&value, &key, sizeof value);
    AddKll(value, weight);
    return;
  }
  slots_[slot] = {key, weight};
  count_ += weight;
  ++distinct_;
  if (static_cast<size_t>(distinct_) * 2 > slots_.size()) GrowTable();
}

void QuantileSketch::GrowTable() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.size() * 2, Slot{});
  --shift_;
  size_t mask = slots_.size() - 1;
  for (const Slot& slot : old) {
    if (slot.key == kEmpty) continue;
    size_t i = (slot.key * 0x9E3779B97F4A7C15ull) >> shift_;
    while (slots_[i].key != kEmpty) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

void QuantileSketch::SwitchToKll() {
  std::vector<Slot> slots = std::move(slots_);
  slots_ = {};
  exact_ = false;
  distinct_ = 0;
  levels_.clear();
  AddLevel();
  count_ = 0;  // AddKll counts the values again
  for (const Slot& slot : slots) {
    if (slot.key != kEmpty) AddKll(KeyValue(slot.key), slot.count);
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
    for (const Slot& slot : other.slots_) {
      if (slot.key != kEmpty) AddWeighted(KeyValue(slot.key), slot.count);
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
    for (const Slot& slot : slots_) {
      if (slot.key != kEmpty) items.emplace_back(KeyValue(slot.key), slot.count);
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

void QuantileSketch::AppendTo(ByteWriter* w) const {
  const auto items = WeightedItems();
  w->Put<uint64_t>(items.size());
  for (const auto& [value, weight] : items) {
    w->Put<double>(value);
    w->Put<uint64_t>(weight);
  }
}

Status QuantileSketch::MergeFrom(ByteReader* r) {
  uint64_t n = 0;
  RETURN_IF_ERROR(r->Get(&n));
  for (uint64_t i = 0; i < n; ++i) {
    double value = 0;
    uint64_t weight = 0;
    RETURN_IF_ERROR(r->Get(&value));
    RETURN_IF_ERROR(r->Get(&weight));
    if (value != value) return Status::Corruption("quantile sketch: a NaN item");
    AddWeighted(value, weight);
  }
  return Status::OK();
}

}  // namespace edgepipe::data
