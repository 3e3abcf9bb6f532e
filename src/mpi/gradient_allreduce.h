// GradientAllreduce: nn::GradientReducer (src/nn/gradient_reducer.h) over an
// MPI Communicator — synchronous data-parallel training with Model::Fit:
//
//   ASSIGN_OR_RETURN(auto session, mpi::MpiSession::Init(&argc, &argv));
//   ASSIGN_OR_RETURN(auto comm, mpi::Communicator::WorldFromEnvironment());
//   ASSIGN_OR_RETURN(auto reducer, mpi::MakeGradientReducer(*comm));
//   nn::FitOptions fit{.batch_size = 32};   // per rank: global batch 32 × size
//   fit.reducer = reducer.get();
//   ASSIGN_OR_RETURN(nn::History h, model.Fit(x, y, fit));   // on every rank
//   if (comm->is_root()) RETURN_IF_ERROR(nn::SaveModel(model, dir));
//   // on an error: report it, then comm->Abort(1)
//
// Each bucket is one MPI_Iallreduce(MPI_IN_PLACE, MPI_FLOAT, MPI_SUM) on the
// communicator, started when Fit hands the bucket over and polled (MPI_Test)
// between layers, so that Open MPI — which has no progress thread by default
// — moves it along while the backward pass computes; Finish() waits for all
// of them. Every rank receives the same bits (the reduction runs in the same
// order for everyone), which is what keeps the ranks' weights bitwise equal.
//
// Failure: an MPI error is Status::Internal; a bucket that has not completed
// within the communicator's timeout() after Finish() began is
// ResourceExhausted ("timed out"). Either poisons the communicator
// (communicator.h): Fit returns the error and the caller aborts the job.
//
// Ownership and threading: borrows `comm`, which must outlive the reducer;
// the Communicator's rules apply (the thread that owns MPI calls it, i.e.
// Fit runs on that thread). Buckets of more than INT_MAX floats are split.
#ifndef EDGEPIPE_MPI_GRADIENT_ALLREDUCE_H_
#define EDGEPIPE_MPI_GRADIENT_ALLREDUCE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "src/core/status.h"
#include "src/mpi/communicator.h"
#include "src/nn/gradient_reducer.h"

namespace edgepipe::mpi {

struct GradientAllreduceOptions {
  // Target bucket size. Small buckets start the allreduce sooner (more
  // overlap) but pay MPI's per-message latency more often: 1 MiB takes
  // ~90 us at InfiniBand EDR's 11.5 GB/s, ~45 times its 2 us latency, and
  // ~0.9 ms on 10 GbE, ~35 times its 25 us (bench/README.md, "MPI").
  int64_t bucket_bytes = int64_t{1} << 20;
};

class GradientAllreduce final : public nn::GradientReducer {
 public:
  // What the reducer did since construction or ResetStats() (the benchmark's
  // figures): Finish() calls (steps), buckets and bytes summed, and the time
  // Finish() waited (communication the backward pass did not hide).
  struct Stats {
    int64_t finishes = 0;
    int64_t buckets = 0;
    int64_t bytes = 0;
    double exposed_seconds = 0;
  };

  GradientAllreduce(Communicator& comm, const GradientAllreduceOptions& options);
  ~GradientAllreduce() override;

  int rank() const override;
  int size() const override;
  int64_t bucket_bytes() const override { return options_.bucket_bytes; }
  Status Agree(const Status& local) override;
  Status Broadcast(float* values, int64_t n) override;
  Status SumDoubles(double* values, int64_t n) override;
  Status BeginBucket(float* values, int64_t n) override;
  void Poll() override;
  Status Finish() override;

  const Stats& stats() const { return stats_; }
  void ResetStats() { stats_ = {}; }

 private:
  struct Pending;  // MPI requests (keeps <mpi.h> out of this header)
  Communicator& comm_;
  GradientAllreduceOptions options_;
  std::unique_ptr<Pending> pending_;
  Stats stats_;
};

// InvalidArgument for bucket_bytes <= 0.
StatusOr<std::unique_ptr<GradientAllreduce>> MakeGradientReducer(
    Communicator& comm, const GradientAllreduceOptions& options = {});

}  // namespace edgepipe::mpi

#endif  // EDGEPIPE_MPI_GRADIENT_ALLREDUCE_H_
