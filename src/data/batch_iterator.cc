#include "src/data/batch_iterator.h"

#include <cstring>
#include <numeric>

namespace edgepipe::data {

StatusOr<BatchIterator> BatchIterator::Create(const ExampleTable* table,
                                              std::vector<std::string> columns,
                                              const BatchOptions& options) {
  if (table == nullptr) return Status::InvalidArgument("BatchIterator: null table");
  if (options.batch_size < 1) {
    return Status::InvalidArgument("BatchIterator: batch_size " +
                                   std::to_string(options.batch_size) + " (expected >= 1)");
  }
  if (options.num_epochs == 0 || options.num_epochs < -1) {
    return Status::InvalidArgument("BatchIterator: num_epochs " +
                                   std::to_string(options.num_epochs) +
                                   " (expected >= 1, or -1 for forever)");
  }
  if (options.num_epochs == -1 && table->num_examples == 0) {
    return Status::InvalidArgument("BatchIterator: repeating an empty table forever");
  }
  if (columns.empty()) return Status::InvalidArgument("BatchIterator: no columns");
  std::vector<int> index;
  for (const std::string& name : columns) {
    ASSIGN_OR_RETURN(const Tensor* col, table->Column(name));
    (void)col;
    index.push_back(table->FindColumn(name));
  }
  return BatchIterator(table, std::move(index), options);
}

BatchIterator::BatchIterator(const ExampleTable* table, std::vector<int> column_index,
                             const BatchOptions& options)
    : table_(table), column_index_(std::move(column_index)), options_(options), rng_(options.seed) {
  for (int c : column_index_) {
    const FeatureSpec& spec = table_->specs[static_cast<size_t>(c)];
    row_bytes_.push_back(static_cast<size_t>(spec.length) * DTypeSize(spec.dtype));
  }
  order_.resize(static_cast<size_t>(table_->num_examples));
  StartEpoch();
}

void BatchIterator::StartEpoch() {
  std::iota(order_.begin(), order_.end(), int64_t{0});
  if (!options_.shuffle || order_.size() < 2) return;
  // Fisher-Yates with our own index draw: std::uniform_int_distribution is
  // implementation-defined, the modulo reduction below is not. Bias is
  // below n / 2^64, negligible for any table that fits in memory.
  for (size_t i = order_.size() - 1; i > 0; --i) {
    size_t j = static_cast<size_t>(rng_() % (i + 1));
    std::swap(order_[i], order_[j]);
  }
}

int64_t BatchIterator::RowsLeft() const {
  if (options_.num_epochs == -1) return -1;
  const int64_t n = table_->num_examples;
  return (options_.num_epochs - epoch_) * n - static_cast<int64_t>(pos_);
}

int64_t BatchIterator::batches_per_epoch() const {
  const int64_t n = table_->num_examples, b = options_.batch_size;
  return options_.drop_remainder ? n / b : (n + b - 1) / b;
}

std::vector<Tensor> BatchIterator::AllocateBatch() const {
  std::vector<Tensor> batch;
  for (int c : column_index_) {
    const FeatureSpec& spec = table_->specs[static_cast<size_t>(c)];
    batch.emplace_back(spec.dtype, Shape{options_.batch_size, spec.length});
  }
  return batch;
}

StatusOr<int64_t> BatchIterator::Next(std::vector<Tensor>* batch) {
  if (batch == nullptr || batch->size() != column_index_.size()) {
    return Status::InvalidArgument("BatchIterator::Next: expected " +
                                   std::to_string(column_index_.size()) + " batch tensors");
  }
  Tensor* outputs[kMaxColumnsOnStack];
  if (batch->size() > kMaxColumnsOnStack) {
    std::vector<Tensor*> many;
    for (Tensor& t : *batch) many.push_back(&t);
    return Fill(many.data());
  }
  for (size_t k = 0; k < batch->size(); ++k) outputs[k] = &(*batch)[k];
  return Fill(outputs);
}

StatusOr<int64_t> BatchIterator::Fill(Tensor* const* outputs) {
  for (size_t k = 0; k < column_index_.size(); ++k) {
    const FeatureSpec& spec = table_->specs[static_cast<size_t>(column_index_[k])];
    const Tensor& t = *outputs[k];
    if (t.dtype() != spec.dtype || t.shape() != Shape{options_.batch_size, spec.length}) {
      return Status::InvalidArgument(
          "BatchIterator::Next: batch tensor for '" + spec.name + "' is " + DTypeName(t.dtype()) +
          " " + ShapeToString(t.shape()) + " (expected " + DTypeName(spec.dtype) + " " +
          ShapeToString({options_.batch_size, spec.length}) + ")");
    }
  }
  const int64_t left = RowsLeft();
  int64_t rows = options_.batch_size;
  if (left >= 0 && left < rows) {
    if (options_.drop_remainder) return int64_t{0};
    rows = left;
  }
  for (int64_t r = 0; r < rows; ++r) {
    if (pos_ == order_.size()) {
      ++epoch_;
      pos_ = 0;
      StartEpoch();
    }
    const int64_t row = order_[pos_++];
    for (size_t k = 0; k < column_index_.size(); ++k) {
      const Tensor& col = table_->columns[static_cast<size_t>(column_index_[k])];
      const size_t nb = row_bytes_[k];
      std::memcpy(static_cast<char*>(outputs[k]->raw_data()) + static_cast<size_t>(r) * nb,
                  static_cast<const char*>(col.raw_data()) + static_cast<size_t>(row) * nb, nb);
    }
  }
  // Roll over eagerly so epoch() names the epoch of the next row.
  if (pos_ == order_.size() && (options_.num_epochs == -1 || epoch_ + 1 < options_.num_epochs)) {
    ++epoch_;
    pos_ = 0;
    StartEpoch();
  }
  rows_produced_ += rows;
  return rows;
}

StatusOr<int64_t> BatchIterator::Next(Tensor* features, Tensor* labels) {
  if (column_index_.size() != 2) {
    return Status::InvalidArgument("BatchIterator::Next(features, labels) needs 2 columns, have " +
                                   std::to_string(column_index_.size()));
  }
  if (features == nullptr || labels == nullptr) {
    return Status::InvalidArgument("BatchIterator::Next: null batch tensor");
  }
  Tensor* outputs[2] = {features, labels};
  return Fill(outputs);
}

}  // namespace edgepipe::data
