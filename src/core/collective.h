// Collective: the few operations a group of cooperating processes (the ranks
// of an MPI job) needs to run one pipeline SPMD, as an interface, so that the
// runner (pipeline/), the components and the sharded passes (mpi/sharded_*)
// build without MPI; mpi::Communicator (src/mpi, Open MPI) implements it.
//
// SPMD rules. Every rank calls the same collectives in the same order. A
// collective that fails (a peer died, a timeout) poisons the group: the
// ranks no longer agree on where they are, so every later call fails and
// the caller must Abort(), which ends every rank of the job. A step that can
// fail on some ranks only must be agreed on (AgreeOnStatus) before the next
// collective, so that no rank enters a collective the others skip.
//
// Threading: a Collective is not thread-safe; call it from one thread (for
// MPI, the thread that initialized it).
#ifndef EDGEPIPE_CORE_COLLECTIVE_H_
#define EDGEPIPE_CORE_COLLECTIVE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/core/status.h"

namespace edgepipe {

class Collective {
 public:
  virtual ~Collective() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  bool is_root() const { return rank() == 0; }
  // True once a collective failed or timed out: the job must Abort.
  virtual bool poisoned() const = 0;

  // Every rank ends with root's bytes in *bytes (any length).
  virtual Status Broadcast(std::string* bytes, int root = 0) = 0;
  // On root: every rank's bytes in rank order (root's own included); on the
  // other ranks an empty vector.
  virtual StatusOr<std::vector<std::string>> Gather(std::string_view bytes, int root = 0) = 0;
  // Element-wise sum over ranks of values[0..n), in place on every rank, in
  // an order of additions the implementation picks (exact for integers below
  // 2^53; exact merges of doubles gather and combine in rank order).
  virtual Status AllreduceSum(double* values, int64_t n) = 0;
  virtual Status Barrier() = 0;
  // Ends every rank of the job with exit code `code`.
  [[noreturn]] virtual void Abort(int code) = 0;
};

// Every rank's `mine` reduced: OK on every rank if all are OK, else every
// rank gets the lowest failing rank's error (with "rank r" as context). For
// SPMD steps that can fail on some ranks only. A failed collective is
// returned as it is (the group is then poisoned).
Status AgreeOnStatus(Collective& group, const Status& mine);

// The end of a sharded pass: every rank sends its shard's bytes (or its
// error) to rank 0, which calls merge(rank, bytes) for ranks 1..P-1 in rank
// order (rank 0's own shard is the one merged into, so it is not passed).
// Every rank returns the same status: the lowest failing rank's error, or
// merge's, or OK.
Status MergeShardsOnRoot(Collective& group, const StatusOr<std::string>& mine,
                         const std::function<Status(int rank, std::string_view bytes)>& merge);

// Root's result on every rank: on root `mine` (its bytes, or its error) is
// sent and returned as it is; every other rank returns root's bytes, or
// root's error. What the others pass as `mine` is not read. `what` names the
// bytes in a Corruption error. A failed broadcast is returned as it is.
StatusOr<std::string> BroadcastFromRoot(Collective& group, const StatusOr<std::string>& mine,
                                        const std::string& what);

// Items [N r / P, N (r + 1) / P) of N: this rank's contiguous share, so that
// the shards in rank order are the items in order.
std::pair<int64_t, int64_t> ShardOf(const Collective& group, int64_t n);

// A Status as bytes and back (code and message), to send between ranks.
std::string EncodeStatus(const Status& status);
Status DecodeStatus(std::string_view bytes, const std::string& what);

}  // namespace edgepipe

#endif  // EDGEPIPE_CORE_COLLECTIVE_H_
