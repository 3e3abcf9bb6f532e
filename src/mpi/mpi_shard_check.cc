// Test program for src/mpi (mpi_test.cc launches it, under mpirun or alone).
//
//   mpi_shard_check eval-single CONFIG OUT FILES...   Evaluate() in one process
//   mpi_shard_check eval CONFIG OUT FILES...          ShardedEvaluate() on MPI ranks
//   mpi_shard_check stats-single OUT FILES...         ComputeStatistics() in one process, 2 threads
//   mpi_shard_check stats OUT FILES...                ShardedStatistics() on MPI ranks, 1 thread
//   each mpi_shard_check timeout SECONDS                   rank 1 joins a gather SECONDS late:
//                                                     rank 0 must time out first
//   mpi_shard_check die                               rank 1 is killed before a gather
//   mpi_shard_check collectives                       broadcast/gather/allreduce checks
//
// The model returns its input: feature "scores" (3 floats) are the class
// scores. OUT (rank 0) gets the metrics and plots as length-prefixed protos.
// Exit codes: 0 fine, 1 an error every rank agreed on, 2 bad usage; an MPI
// failure or timeout aborts the job (MPI_Abort, code 3).
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "src/core/byte_buffer.h"
#include "src/core/files.h"
#include "src/core/parallel.h"
#include "src/data/statistics.h"
#include "src/eval/config.h"
#include "src/eval/evaluator.h"
#include "src/mpi/communicator.h"
#include "src/mpi/sharded_evaluate.h"
#include "src/mpi/sharded_statistics.h"

namespace edgepipe::mpi {
namespace {

class IdentityModel : public eval::EvalModel {
 public:
  const std::string& input_feature() const override { return feature_; }
  int64_t input_dim() const override { return 3; }
  StatusOr<Tensor> Predict(const Tensor& features) override { return features; }

 private:
  std::string feature_ = "scores";
};

Status WriteResult(const eval::EvalResult& result, const std::string& path) {
  ByteWriter w;
  w.Put<int64_t>(result.num_examples);
  w.Put<uint64_t>(result.metrics.size());
  for (const auto& m : result.metrics) w.PutString(m.SerializeAsString());
  w.Put<uint64_t>(result.plots.size());
  for (const auto& p : result.plots) w.PutString(p.SerializeAsString());
  w.PutString(result.validation.SerializeAsString());
  return WriteFileAtomic(path, w.Release());
}

StatusOr<eval::tfma::EvalConfig> LoadConfig(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return eval::ParseEvalConfigText(text, path);
}

Status Collectives(Communicator& comm) {
  std::string bytes = comm.is_root() ? std::string("hello\0ranks", 11) : "";
  RETURN_IF_ERROR(comm.Broadcast(&bytes));
  if (bytes != std::string("hello\0ranks", 11)) return Status::Internal("broadcast: wrong bytes");
  ASSIGN_OR_RETURN(
      std::vector<std::string> all,
      comm.Gather(std::string(static_cast<size_t>(comm.rank()) + 1, 'a' + comm.rank())));
  if (comm.is_root()) {
    if (static_cast<int>(all.size()) != comm.size()) return Status::Internal("gather: count");
    for (int r = 0; r < comm.size(); ++r) {
      if (all[r] != std::string(static_cast<size_t>(r) + 1, static_cast<char>('a' + r))) {
        return Status::Internal("gather: rank " + std::to_string(r) + " sent '" + all[r] + "'");
      }
    }
  } else if (!all.empty()) {
    return Status::Internal("gather: non-root got data");
  }
  std::vector<double> v = {1.0, static_cast<double>(comm.rank()), 0.5};
  RETURN_IF_ERROR(comm.AllreduceSum(v.data(), 3));
  const double p = comm.size();
  if (v[0] != p || v[1] != p * (p - 1) / 2 || v[2] != 0.5 * p) {
    return Status::Internal("allreduce: wrong sums");
  }
  RETURN_IF_ERROR(comm.Barrier());
  if (comm.is_root()) std::printf("collectives ok on %d ranks\n", comm.size());
  return Status::OK();
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: mpi_shard_check eval|eval-single|timeout|collectives ...\n");
    return 2;
  }
  const std::string mode = argv[1];
  if (mode == "stats-single") {
    if (argc < 4) return 2;
    ThreadPool pool(2);
    auto stats = data::ComputeStatistics({argv + 3, argv + argc}, "train", {}, &pool);
    Status st = stats.ok() ? WriteFileAtomic(argv[2], stats->SerializeAsString()) : stats.status();
    if (!st.ok()) std::fprintf(stderr, "mpi_shard_check: %s\n", st.ToString().c_str());
    return st.ok() ? 0 : 1;
  }
  if (mode == "eval-single") {
    if (argc < 5) return 2;
    IdentityModel model;
    auto config = LoadConfig(argv[2]);
    Status st = config.status();
    if (st.ok()) {
      auto result = eval::Evaluate(*config, {argv + 4, argv + argc}, model);
      st = result.ok() ? WriteResult(*result, argv[3]) : result.status();
    }
    if (!st.ok()) std::fprintf(stderr, "mpi_shard_check: %s\n", st.ToString().c_str());
    return st.ok() ? 0 : 1;
  }

  auto session = MpiSession::Init(&argc, &argv);
  if (!session.ok()) {
    std::fprintf(stderr, "mpi_shard_check: %s\n", session.status().ToString().c_str());
    return 1;
  }
  auto comm = Communicator::WorldFromEnvironment();
  if (!comm.ok()) {
    std::fprintf(stderr, "mpi_shard_check: %s\n", comm.status().ToString().c_str());
    return 1;
  }
  Communicator& c = **comm;
  Status st;
  if (mode == "collectives") {
    st = Collectives(c);
  } else if (mode == "timeout" && argc >= 3) {
    // Rank 1 stays away longer than the timeout: rank 0's gather (which
    // cannot complete without rank 1's bytes, unlike a broadcast's eager
    // send) must give up and abort the job instead of waiting.
    if (c.rank() == 1) {
      std::this_thread::sleep_for(std::chrono::duration<double>(std::atof(argv[2])));
    }
    st = c.Gather("x").status();
  } else if (mode == "stats" && argc >= 4) {
    ThreadPool pool(1);
    auto stats = ShardedStatistics(c, {argv + 3, argv + argc}, "train", {}, &pool);
    st = stats.status();
    if (st.ok() && stats->has_value()) st = WriteFileAtomic(argv[2], (*stats)->SerializeAsString());
  } else if (mode == "die") {
    // Rank 1 is killed before the gather; mpirun must end rank 0 as well
    // (rank 0 alone would wait for the timeout).
    if (c.rank() == 1) std::raise(SIGKILL);
    st = c.Gather("x").status();
  } else if (mode == "eval" && argc >= 5) {
    IdentityModel model;
    auto config = LoadConfig(argv[2]);
    st = config.status();
    if (st.ok()) {
      auto result = ShardedEvaluate(c, *config, {argv + 4, argv + argc}, {{"", &model, ""}});
      st = result.status();
      if (st.ok() && result->has_value()) st = WriteResult(**result, argv[3]);
    }
  } else {
    std::fprintf(stderr, "mpi_shard_check: bad arguments for mode '%s'\n", mode.c_str());
    return 2;
  }
  if (!st.ok()) {
    std::fprintf(stderr, "mpi_shard_check: rank %d: %s\n", c.rank(), st.ToString().c_str());
    if (c.poisoned()) c.Abort(3);
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace edgepipe::mpi

int main(int argc, char** argv) { return edgepipe::mpi::Main(argc, argv); }
