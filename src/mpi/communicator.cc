#include "src/mpi/communicator.h"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>

#include "src/mpi/communicator_internal.h"

namespace edgepipe::mpi {
StatusOr<std::unique_ptr<MpiSession>> MpiSession::Init(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) return Status::FailedPrecondition("mpi init: MPI is already initialized");
  int provided = 0;
  const int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
  if (rc != MPI_SUCCESS) return Status::Internal("mpi init: MPI_Init_thread failed");
  // Errors while creating communicators come back to us too.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  if (provided < MPI_THREAD_FUNNELED) {
    MPI_Finalize();
    return Status::Internal("mpi init: MPI gives thread level " + std::to_string(provided) +
                            ", need MPI_THREAD_FUNNELED");
  }
  return std::unique_ptr<MpiSession>(new MpiSession());
}

MpiSession::~MpiSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

Communicator::Communicator() : impl_(std::make_unique<Impl>()) {}

StatusOr<std::unique_ptr<Communicator>> Communicator::World(const Options& options) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    return Status::FailedPrecondition("mpi: MPI is not initialized (create an MpiSession first)");
  }
  if (options.timeout.count() <= 0) {
    return Status::InvalidArgument("mpi: timeout must be positive, got " +
                                   std::to_string(options.timeout.count()) + " ms");
  }
  std::unique_ptr<Communicator> c(new Communicator());
  c->options_ = options;
  RETURN_IF_ERROR(c->impl_->Check(MPI_Comm_dup(MPI_COMM_WORLD, &c->impl_->comm), "comm_dup"));
  RETURN_IF_ERROR(
      c->impl_->Check(MPI_Comm_set_errhandler(c->impl_->comm, MPI_ERRORS_RETURN), "errhandler"));
  RETURN_IF_ERROR(c->impl_->Check(MPI_Comm_rank(c->impl_->comm, &c->rank_), "comm_rank"));
  RETURN_IF_ERROR(c->impl_->Check(MPI_Comm_size(c->impl_->comm, &c->size_), "comm_size"));
  return c;
}

StatusOr<std::unique_ptr<Communicator>> Communicator::WorldFromEnvironment() {
  Options options;
  if (const char* env = std::getenv("EDGEPIPE_MPI_TIMEOUT_SECONDS"); env != nullptr && *env) {
    char* end = nullptr;
    const double seconds = std::strtod(env, &end);
    if (end == env || *end != '\0' || !(seconds > 0)) {
      return Status::InvalidArgument(
          std::string(
              "EDGEPIPE_MPI_TIMEOUT_SECONDS: expected a positive number of seconds, got '") +
          env + "'");
    }
    options.timeout = std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000.0 + 0.5));
    if (options.timeout.count() == 0) options.timeout = std::chrono::milliseconds(1);
  }
  return World(options);
}

Communicator::~Communicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (impl_->comm != MPI_COMM_NULL && poisoned_.empty() && !finalized) {
    MPI_Comm_free(&impl_->comm);
  }
}

Status Communicator::Usable(const char* op) const {
  if (poisoned_.empty()) return Status::OK();
  return Status::FailedPrecondition(std::string("mpi ") + op +
                                    ": the communicator failed earlier (" + poisoned_ + ")");
}

namespace {
// Runs one collective step; a failure poisons the communicator.
#define MPI_STEP(expr)           \
  do {                           \
    Status _st = (expr);         \
    if (!_st.ok()) {             \
      poisoned_ = _st.message(); \
      return _st;                \
    }                            \
  } while (0)
}  // namespace

Status Communicator::Broadcast(std::string* bytes, int root) {
  RETURN_IF_ERROR(Usable("broadcast"));
  uint64_t n = rank_ == root ? bytes->size() : 0;
  MPI_Request req;
  MPI_STEP(impl_->Check(MPI_Ibcast(&n, 1, MPI_UINT64_T, root, impl_->comm, &req), "broadcast"));
  MPI_STEP(impl_->Wait(&req, "broadcast", options_.timeout));
  if (rank_ != root) bytes->resize(n);
  // In pieces of at most 1 GiB: MPI counts are ints.
  constexpr uint64_t kPiece = uint64_t{1} << 30;
  for (uint64_t at = 0; at < n; at += kPiece) {
    const int count = static_cast<int>(std::min(kPiece, n - at));
    MPI_STEP(impl_->Check(MPI_Ibcast(bytes->data() + at, count, MPI_BYTE, root, impl_->comm, &req),
                          "broadcast"));
    MPI_STEP(impl_->Wait(&req, "broadcast", options_.timeout));
  }
  return Status::OK();
}

StatusOr<std::vector<std::string>> Communicator::Gather(std::string_view bytes, int root) {
  RETURN_IF_ERROR(Usable("gather"));
  uint64_t mine = bytes.size();
  std::vector<uint64_t> sizes(rank_ == root ? static_cast<size_t>(size_) : 0);
  MPI_Request req;
  MPI_STEP(impl_->Check(
      MPI_Igather(&mine, 1, MPI_UINT64_T, sizes.data(), 1, MPI_UINT64_T, root, impl_->comm, &req),
      "gather"));
  MPI_STEP(impl_->Wait(&req, "gather", options_.timeout));
  // Every rank must learn whether the total fits before calling Igatherv, or
  // root would bail out while the others wait: root decides and broadcasts.
  uint64_t total = 0;
  for (uint64_t s : sizes) total += s;
  int fits = total <= static_cast<uint64_t>(INT_MAX) ? 1 : 0;
  MPI_STEP(impl_->Check(MPI_Ibcast(&fits, 1, MPI_INT, root, impl_->comm, &req), "gather"));
  MPI_STEP(impl_->Wait(&req, "gather", options_.timeout));
  if (!fits) {
    return Status::InvalidArgument("mpi gather: " + std::to_string(total) +
                                   " bytes in all exceed MPI's 2 GiB limit of one gather");
  }
  std::vector<int> counts, displs;
  std::string all;
  if (rank_ == root) {
    all.resize(total);
    int at = 0;
    for (uint64_t s : sizes) {
      counts.push_back(static_cast<int>(s));
      displs.push_back(at);
      at += static_cast<int>(s);
    }
  }
  MPI_STEP(
      impl_->Check(MPI_Igatherv(bytes.data(), static_cast<int>(mine), MPI_BYTE, all.data(),
                                counts.data(), displs.data(), MPI_BYTE, root, impl_->comm, &req),
                   "gather"));
  MPI_STEP(impl_->Wait(&req, "gather", options_.timeout));
  std::vector<std::string> out;
  for (size_t r = 0; r < counts.size(); ++r) {
    out.emplace_back(all.data() + displs[r], static_cast<size_t>(counts[r]));
  }
  return out;
}

Status Communicator::AllreduceSum(double* values, int64_t n) {
  RETURN_IF_ERROR(Usable("allreduce"));
  if (n < 0 || n > INT_MAX) {
    return Status::InvalidArgument("mpi allreduce: count " + std::to_string(n) +
                                   " out of range [0, INT_MAX]");
  }
  MPI_Request req;
  MPI_STEP(impl_->Check(MPI_Iallreduce(MPI_IN_PLACE, values, static_cast<int>(n), MPI_DOUBLE,
                                       MPI_SUM, impl_->comm, &req),
                        "allreduce"));
  MPI_STEP(impl_->Wait(&req, "allreduce", options_.timeout));
  return Status::OK();
}

Status Communicator::Barrier() {
  RETURN_IF_ERROR(Usable("barrier"));
  MPI_Request req;
  MPI_STEP(impl_->Check(MPI_Ibarrier(impl_->comm, &req), "barrier"));
  MPI_STEP(impl_->Wait(&req, "barrier", options_.timeout));
  return Status::OK();
}

void Communicator::Abort(int code) {
  MPI_Abort(impl_->comm != MPI_COMM_NULL ? impl_->comm : MPI_COMM_WORLD, code);
  std::abort();  // MPI_Abort does not return; if an implementation did, still do not
}

#undef MPI_STEP

}  // namespace edgepipe::mpi
