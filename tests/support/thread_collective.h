// Test-only: a Collective (src/core/collective.h) whose ranks are threads of
// one process, so the sharded passes (src/mpi/sharded_*) run on 2, 3, ...
// ranks inside a unit test, without mpirun. Every collective is a rendezvous
// of all ranks on one std::barrier: each rank puts its bytes in its slot, all
// wait, each takes what it needs, all wait again (so no slot is overwritten
// before everyone has read it). Results are the same as over MPI: Gather in
// rank order, Broadcast of root's bytes, AllreduceSum adding in rank order.
//
// RunOnRanks(P, fn) calls fn(collective) on P threads at once and returns
// their statuses in rank order. Abort() ends the test process (it must not
// happen in a passing test). Never poisoned: the threads cannot die alone.
#ifndef EDGEPIPE_TESTS_SUPPORT_THREAD_COLLECTIVE_H_
#define EDGEPIPE_TESTS_SUPPORT_THREAD_COLLECTIVE_H_

#include <barrier>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "src/core/collective.h"

namespace edgepipe::testing {

class ThreadCollective : public Collective {
 public:
  // State shared by the ranks of one group.
  struct Shared {
    explicit Shared(int size) : slots(static_cast<size_t>(size)), barrier(size) {}
    std::vector<std::string> slots;
    std::barrier<> barrier;
  };
  ThreadCollective(std::shared_ptr<Shared> shared, int rank)
      : shared_(std::move(shared)), rank_(rank) {}

  int rank() const override { return rank_; }
  int size() const override { return static_cast<int>(shared_->slots.size()); }
  bool poisoned() const override { return false; }

  Status Broadcast(std::string* bytes, int root) override {
    if (rank_ == root) shared_->slots[static_cast<size_t>(root)] = *bytes;
    shared_->barrier.arrive_and_wait();
    if (rank_ != root) *bytes = shared_->slots[static_cast<size_t>(root)];
    shared_->barrier.arrive_and_wait();
    return Status::OK();
  }
  StatusOr<std::vector<std::string>> Gather(std::string_view bytes, int root) override {
    shared_->slots[static_cast<size_t>(rank_)] = std::string(bytes);
    shared_->barrier.arrive_and_wait();
    std::vector<std::string> all;
    if (rank_ == root) all = shared_->slots;
    shared_->barrier.arrive_and_wait();
    return all;
  }
  Status AllreduceSum(double* values, int64_t n) override {
    shared_->slots[static_cast<size_t>(rank_)].assign(reinterpret_cast<const char*>(values),
                                                      static_cast<size_t>(n) * sizeof(double));
    shared_->barrier.arrive_and_wait();
    for (int64_t i = 0; i < n; ++i) {
      double sum = 0;
      for (const std::string& slot : shared_->slots) {
        double v;
        std::memcpy(&v, slot.data() + i * static_cast<int64_t>(sizeof(double)), sizeof v);
        sum += v;
      }
      values[i] = sum;
    }
    shared_->barrier.arrive_and_wait();
    return Status::OK();
  }
  Status Barrier() override {
    shared_->barrier.arrive_and_wait();
    return Status::OK();
  }
  [[noreturn]] void Abort(int code) override { std::_Exit(code); }

 private:
  std::shared_ptr<Shared> shared_;
  int rank_;
};

// fn(rank's collective) on `size` threads at once; the statuses in rank order.
inline std::vector<Status> RunOnRanks(int size, const std::function<Status(Collective&)>& fn) {
  auto shared = std::make_shared<ThreadCollective::Shared>(size);
  std::vector<Status> out(static_cast<size_t>(size));
  std::vector<std::thread> threads;
  for (int r = 0; r < size; ++r) {
    threads.emplace_back([&, r] {
      ThreadCollective comm(shared, r);
      out[static_cast<size_t>(r)] = fn(comm);
    });
  }
  for (std::thread& t : threads) t.join();
  return out;
}

}  // namespace edgepipe::testing

#endif  // EDGEPIPE_TESTS_SUPPORT_THREAD_COLLECTIVE_H_
