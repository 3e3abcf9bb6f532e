// Batches of ExampleTable rows for training and evaluation: tf.data's
// `shuffle(N, seed, reshuffle_each_iteration=True).repeat(epochs).batch(B)`
// with a buffer as large as the table, i.e. each epoch visits every row once
// in a fresh uniform random order.
//
// As in tf.data (repeat before batch), a batch may span the end of one epoch
// and the start of the next; only the very last batch of the last epoch can
// be short, and only if drop_remainder is false. num_epochs = -1 repeats
// forever (TFX's training dataset; the trainer stops after train_steps).
//
// Orders are reproducible: the permutation of epoch e depends only on the
// seed and e (std::mt19937_64 + Fisher-Yates, both fully specified by the
// C++ standard, so identical on every platform).
//
// Next() copies rows into tensors the caller allocated once (AllocateBatch),
// so the training loop allocates nothing per step.
//
// Ownership and threads: the iterator borrows the table, which must outlive
// it and must not change meanwhile. One iterator per thread; several
// iterators may share one table.
#ifndef EDGEPIPE_DATA_BATCH_ITERATOR_H_
#define EDGEPIPE_DATA_BATCH_ITERATOR_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "src/core/status.h"
#include "src/core/tensor.h"
#include "src/data/examples.h"

namespace edgepipe::data {

struct BatchOptions {
  int64_t batch_size = 32;
  bool shuffle = true;
  uint64_t seed = 0;
  int64_t num_epochs = 1;  // -1: repeat forever
  bool drop_remainder = false;
};

class BatchIterator {
 public:
  // Iterates the columns named `columns` (in that order) of `*table`.
  // InvalidArgument for an unknown column, batch_size < 1, num_epochs of 0 or
  // below -1, or an empty table with num_epochs = -1 (it would never yield).
  static StatusOr<BatchIterator> Create(const ExampleTable* table, std::vector<std::string> columns,
                                        const BatchOptions& options);

  // One tensor per column, [batch_size, length] of the column's dtype.
  std::vector<Tensor> AllocateBatch() const;

  // Fills the first rows of each `(*batch)[i]` with the next rows of column
  // i and returns how many rows it filled: batch_size, fewer for a final
  // partial batch, 0 once all epochs are done (rows past the count are left
  // as they were). InvalidArgument if `batch` does not match AllocateBatch().
  StatusOr<int64_t> Next(std::vector<Tensor>* batch);

  // Two-column convenience (features, labels) for Create(..., {f, l}, ...).
  StatusOr<int64_t> Next(Tensor* features, Tensor* labels);

  // Batches per epoch: ceil(rows / batch_size) (floor with drop_remainder).
  int64_t batches_per_epoch() const;
  // The epoch the next row comes from (0-based); rows handed out so far.
  int64_t epoch() const { return epoch_; }
  int64_t rows_produced() const { return rows_produced_; }

 private:
  BatchIterator(const ExampleTable* table, std::vector<int> column_index,
                const BatchOptions& options);
  // Next() for outputs[0 .. columns): checks shapes, then copies rows.
  StatusOr<int64_t> Fill(Tensor* const* outputs);
  void StartEpoch();
  static constexpr size_t kMaxColumnsOnStack = 16;
  // Rows still to come, or -1 for infinite.
  int64_t RowsLeft() const;

  const ExampleTable* table_;
  std::vector<int> column_index_;
  std::vector<size_t> row_bytes_;
  BatchOptions options_;
  std::vector<int64_t> order_;  // permutation of the current epoch
  size_t pos_ = 0;              // next index into order_
  int64_t epoch_ = 0;
  int64_t rows_produced_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace edgepipe::data

#endif  // EDGEPIPE_DATA_BATCH_ITERATOR_H_
