#include "src/mpi/gradient_allreduce.h"

#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstring>
#include <string>
#include <thread>

#include "src/mpi/communicator_internal.h"
#include "src/mpi/sharded_evaluate.h"

namespace edgepipe::mpi {

struct GradientAllreduce::Pending {
  std::vector<MPI_Request> requests;  // started, not yet known complete
  Status poll_error;                  // first failure seen by Poll()
};

GradientAllreduce::GradientAllreduce(Communicator& comm, const GradientAllreduceOptions& options)
    : comm_(comm), options_(options), pending_(std::make_unique<Pending>()) {}

GradientAllreduce::~GradientAllreduce() = default;

int GradientAllreduce::rank() const { return comm_.rank(); }
int GradientAllreduce::size() const { return comm_.size(); }

Status GradientAllreduce::Agree(const Status& local) { return AgreeOnStatus(comm_, local); }

Status GradientAllreduce::Broadcast(float* values, int64_t n) {
  // Once per Fit: the Communicator's byte broadcast (it splits past 1 GiB).
  std::string bytes;
  if (comm_.is_root()) bytes.assign(reinterpret_cast<const char*>(values), n * sizeof(float));
  RETURN_IF_ERROR(comm_.Broadcast(&bytes));
  if (bytes.size() != static_cast<size_t>(n) * sizeof(float)) {
    return Status::InvalidArgument("gradient allreduce: rank 0 broadcast " +
                                   std::to_string(bytes.size()) + " bytes of weights, this rank " +
                                   "expects " + std::to_string(n * sizeof(float)));
  }
  std::memcpy(values, bytes.data(), bytes.size());
  return Status::OK();
}

Status GradientAllreduce::SumDoubles(double* values, int64_t n) {
  return comm_.AllreduceSum(values, n);
}

Status GradientAllreduce::BeginBucket(float* values, int64_t n) {
  RETURN_IF_ERROR(comm_.Usable("gradient allreduce"));
  if (n < 0) return Status::InvalidArgument("gradient allreduce: negative bucket size");
  for (int64_t at = 0; at < n; at += INT_MAX) {
    const int count = static_cast<int>(std::min<int64_t>(INT_MAX, n - at));
    MPI_Request request;
    Status st = comm_.impl_->Check(MPI_Iallreduce(MPI_IN_PLACE, values + at, count, MPI_FLOAT,
                                                  MPI_SUM, comm_.impl_->comm, &request),
                                   "gradient allreduce");
    if (!st.ok()) {
      comm_.poisoned_ = st.message();
      return st;
    }
    pending_->requests.push_back(request);
  }
  ++stats_.buckets;
  stats_.bytes += n * static_cast<int64_t>(sizeof(float));
  return Status::OK();
}

void GradientAllreduce::Poll() {
  // MPI_Test drives Open MPI's non-blocking collectives forward; a request
  // that completed becomes MPI_REQUEST_NULL, which Finish skips.
  for (MPI_Request& request : pending_->requests) {
    if (request == MPI_REQUEST_NULL || !pending_->poll_error.ok()) continue;
    int done = 0;
    pending_->poll_error =
        comm_.impl_->Check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "gradient allreduce");
  }
}

Status GradientAllreduce::Finish() {
  // Polls every pending request until all are done. Open MPI advances a
  // non-blocking collective only inside MPI calls, and an allreduce of a
  // few hundred kilobytes over shared memory takes several rounds and
  // fragments, each needing a call: sleeping between polls (what
  // Communicator::Wait does for rare, large collectives) made one step's
  // allreduce ~20x slower. So the first kSpin of a wait only yields the core
  // (to a process that needs it when ranks outnumber cores), then it sleeps
  // with a growing pause up to 100 us, until the communicator's timeout.
  constexpr auto kSpin = std::chrono::milliseconds(10);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + comm_.timeout();
  Status st = pending_->poll_error;
  auto pause = std::chrono::microseconds(5);
  while (st.ok()) {
    bool all_done = true;
    for (MPI_Request& request : pending_->requests) {
      if (request == MPI_REQUEST_NULL) continue;
      int done = 0;
      st = comm_.impl_->Check(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "gradient allreduce");
      if (!st.ok()) break;
      all_done = all_done && done;
    }
    if (!st.ok() || all_done) break;
    const auto now = std::chrono::steady_clock::now();
    if (now > deadline) {
      st = Status::ResourceExhausted(
          "mpi gradient allreduce: timed out after " +
          std::to_string(std::chrono::duration<double>(comm_.timeout()).count()) +
          " s waiting for the other ranks (one died or hangs)");
      break;
    }
    if (now - start < kSpin) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(100));
    }
  }
  pending_->requests.clear();
  pending_->poll_error = Status::OK();
  ++stats_.finishes;
  stats_.exposed_seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!st.ok()) comm_.poisoned_ = st.message();
  return st;
}

StatusOr<std::unique_ptr<GradientAllreduce>> MakeGradientReducer(
    Communicator& comm, const GradientAllreduceOptions& options) {
  if (options.bucket_bytes <= 0) {
    return Status::InvalidArgument("gradient allreduce: bucket_bytes must be positive, got " +
                                   std::to_string(options.bucket_bytes));
  }
  return std::make_unique<GradientAllreduce>(comm, options);
}

}  // namespace edgepipe::mpi
