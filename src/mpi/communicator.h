// MPI for edgepipe: the few collectives the sharded components need, with
// MPI failures turned into Status and a timeout so that a peer that died or
// hangs never blocks a rank forever.
//
//   MpiSession      MPI_Init_thread / MPI_Finalize, once per process.
//   Communicator    a duplicate of MPI_COMM_WORLD (so our traffic never mixes
//                   with a library's), rank/size, Broadcast, Gather,
//                   AllreduceSum, Barrier, Abort.
//
// Failure model. The communicator uses MPI_ERRORS_RETURN: an MPI error comes
// back as Status::Internal naming the operation and MPI's message, instead
// of MPI's default of aborting the job from inside the library. Every
// collective is started non-blocking and polled until it completes or
// Options::timeout passes; then it returns Status::ResourceExhausted ("timed
// out"). After any failed collective the ranks no longer agree on where they
// are in the sequence of collectives, so the communicator is poisoned: every
// later call returns FailedPrecondition. The caller reports its error and
// then calls Abort(), which takes the whole job down (mpirun kills the other
// ranks); a rank that dies is likewise noticed by mpirun, which kills the
// others. Either way no rank waits longer than the timeout.
//
// Threading. MPI is initialized with MPI_THREAD_FUNNELED: only the thread
// that created the MpiSession calls MPI. A Communicator is not thread-safe;
// the components use threads inside a rank (core/parallel.h) but call the
// Communicator from the main thread only.
//
// Ownership. The MpiSession must outlive every Communicator. Byte buffers are
// copied in and out; nothing is borrowed past a call.
#ifndef EDGEPIPE_MPI_COMMUNICATOR_H_
#define EDGEPIPE_MPI_COMMUNICATOR_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/collective.h"
#include "src/core/status.h"

namespace edgepipe::mpi {

// Owns MPI initialization for the process. At most one per process (MPI
// cannot be initialized twice); FailedPrecondition if MPI already was.
class MpiSession {
 public:
  // argc/argv may be null. Internal if MPI_Init_thread fails or cannot give
  // MPI_THREAD_FUNNELED.
  static StatusOr<std::unique_ptr<MpiSession>> Init(int* argc, char*** argv);
  ~MpiSession();  // MPI_Finalize (skipped after Abort, which does not return)
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

 private:
  MpiSession() = default;
};

// The MPI implementation of Collective (src/core/collective.h).
class Communicator final : public Collective {
 public:
  struct Options {
    // How long one collective may wait for the other ranks, including the
    // time they still spend computing before they join it: set it above the
    // longest imbalance between ranks of a pass. EDGEPIPE_MPI_TIMEOUT_SECONDS
    // in the environment overrides it (WorldFromEnvironment).
    std::chrono::milliseconds timeout = std::chrono::minutes(30);
  };

  // Duplicates MPI_COMM_WORLD. Requires a live MpiSession.
  static StatusOr<std::unique_ptr<Communicator>> World(const Options& options);
  // World() with Options::timeout from EDGEPIPE_MPI_TIMEOUT_SECONDS when set
  // (InvalidArgument if it is not a positive number).
  static StatusOr<std::unique_ptr<Communicator>> WorldFromEnvironment();
  ~Communicator() override;  // MPI_Comm_free (unless poisoned: a pending request may still use it)
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::chrono::milliseconds timeout() const { return options_.timeout; }
  // True once a collective failed or timed out: the job must Abort.
  bool poisoned() const override { return !poisoned_.empty(); }

  // Every rank ends with root's bytes in *bytes (any length).
  Status Broadcast(std::string* bytes, int root = 0) override;
  // On root: every rank's bytes, in rank order (root's own included). On
  // other ranks: an empty vector. InvalidArgument if the total exceeds 2 GiB
  // (MPI's int displacements).
  StatusOr<std::vector<std::string>> Gather(std::string_view bytes, int root = 0) override;
  // Element-wise sum over ranks of values[0..n), in place on every rank. The
  // order of the additions is MPI's: use it where a few ulps do not matter;
  // exact merges gather (Gather) and combine in rank order.
  Status AllreduceSum(double* values, int64_t n) override;
  Status Barrier() override;

  // MPI_Abort on this communicator: every rank of the job exits with `code`.
  [[noreturn]] void Abort(int code) override;

 private:
  friend class GradientAllreduce;  // its own non-blocking float allreduces
  struct Impl;                     // holds the MPI_Comm: keeps <mpi.h> out of users' includes
  Communicator();
  Status Usable(const char* op) const;

  Options options_;
  std::unique_ptr<Impl> impl_;
  int rank_ = 0;
  int size_ = 1;
  std::string poisoned_;  // why the communicator can no longer be used
};

}  // namespace edgepipe::mpi

#endif  // EDGEPIPE_MPI_COMMUNICATOR_H_
