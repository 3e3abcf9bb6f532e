// GradientReducer: what Model::Fit needs from a data-parallel runtime to
// train one model on several processes (ranks) in lock step — synchronous
// data-parallel SGD. nn knows nothing of MPI; src/mpi/gradient_allreduce.h
// implements this interface with MPI non-blocking collectives, and a test can
// implement it with anything else.
//
// What Fit does with a reducer (FitOptions::reducer), on every rank:
//
//   Batch semantics. FitOptions::batch_size is the PER-RANK batch B; one
//   optimizer step consumes a GLOBAL batch of G = size() × B rows. Every rank
//   holds the whole training set and draws the same global permutation from
//   FitOptions::seed; global batch k is rows [k·G, (k+1)·G) of it (across
//   reshuffles in steps mode), and rank r takes its contiguous slice
//   ThreadPool::SplitRange(rows, size, r). steps / steps_per_epoch count
//   global steps; in epoch mode an epoch has ceil(n / G) steps and the last
//   global batch may be short (a rank may then get no rows).
//
//   Gradients. Each rank scales its loss gradient by 1 / (rows of the
//   global batch), so the SUM over ranks of the local gradients is the mean
//   gradient of the global batch — exactly what one process computes with
//   batch_size = G, up to the order of the float additions. The reducer sums
//   (BeginBucket/Finish); then every rank applies the same clipping and
//   optimizer update to the same gradient.
//
//   Learning rate. Not rescaled: the optimizer's rate applies to the mean
//   gradient of the global batch. Going from 1 to N ranks at a fixed
//   per-rank batch multiplies the batch by N; keep the global batch (divide
//   the per-rank batch by N) to keep the 1-process recipe, or scale the rate
//   yourself (the linear scaling rule of Goyal et al. 2017, with warm-up).
//
//   Identical weights. At the start of Fit every weight (trainable and not)
//   and the optimizer's slots are broadcast from rank 0; afterwards every
//   rank applies identical updates, so the weights stay bitwise equal as
//   long as the reducer gives every rank the same bits (an MPI allreduce
//   does: a commutative op applied in the same tree on every rank).
//
//   Batch normalization. Batch statistics are per rank (of its B rows, as
//   PyTorch DDP without SyncBatchNorm and Horovod do); the moving mean and
//   variance (non-trainable weights) are averaged over the ranks at the end
//   of every epoch, before validation, so they are equal again.
//
//   Dropout. Each rank draws its own masks: the dropout stream is seeded
//   from FitOptions::seed and the rank (rank 0's stream is the one-process
//   stream), so the ranks' rows do not share masks.
//
//   Metrics. Per-step progress shows this rank's running values; the values
//   at the end of an epoch (History, callbacks, the epoch line) are the
//   means over all ranks' rows (loss and each metric weighted by each rank's
//   rows, which is exact for accuracy). Validation data is evaluated whole
//   on every rank (identical weights give identical results).
//
//   Errors. Fit's argument checks are agreed on: if any rank's fails, every
//   rank returns that rank's error ("rank r: ..."). The ranks must also
//   agree on the number of examples, the schedule (batch, steps, epochs,
//   shuffle, seed) and the optimizer's step count (checked, same way). A reducer
//   failure (a peer died, a timeout) is returned by Fit; the runtime is then
//   unusable and the job should be aborted.
//
// Bucketing. The trainable weights' gradients lie back to front in backward
// order: Fit groups consecutive layers, from the last, into buckets of about
// bucket_bytes() and calls BeginBucket as soon as the backward of the
// bucket's first layer is done, so the reduction of the last layers' gradients
// overlaps the backward of the first ones; Poll() is called after every
// layer (progress for runtimes without a progress thread), Finish() before
// the optimizer step.
//
// Thread-safety and ownership: called from the thread running Fit only.
// The reducer is borrowed by Fit for the call. Memory passed to BeginBucket
// stays valid and untouched until Finish returns.
#ifndef EDGEPIPE_NN_GRADIENT_REDUCER_H_
#define EDGEPIPE_NN_GRADIENT_REDUCER_H_

#include <cstdint>

#include "src/core/status.h"

namespace edgepipe::nn {

class GradientReducer {
 public:
  virtual ~GradientReducer() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Target size of one bucket (> 0).
  virtual int64_t bucket_bytes() const = 0;

  // Collective. OK on every rank if `local` is OK on every rank; otherwise
  // every rank gets the error of the lowest failing rank, its message
  // prefixed "rank r: ".
  virtual Status Agree(const Status& local) = 0;
  // Collective. Rank 0's values[0..n) on every rank.
  virtual Status Broadcast(float* values, int64_t n) = 0;
  // Collective, blocking. Element-wise sum over ranks of values[0..n), in place.
  virtual Status SumDoubles(double* values, int64_t n) = 0;

  // Starts summing values[0..n) over ranks, in place, without waiting. Every
  // rank starts the same buckets (sizes) in the same order.
  virtual Status BeginBucket(float* values, int64_t n) = 0;
  // Lets started buckets progress; never blocks, never fails (errors surface
  // at Finish).
  virtual void Poll() {}
  // Waits until every started bucket is summed.
  virtual Status Finish() = 0;
};

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_GRADIENT_REDUCER_H_
