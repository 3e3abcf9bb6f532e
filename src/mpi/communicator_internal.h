// The MPI side of Communicator (its Impl), shared by the files of src/mpi
// that issue their own MPI calls on the communicator (gradient_allreduce.cc).
// Not for use outside src/mpi: it includes <mpi.h>.
#ifndef EDGEPIPE_MPI_COMMUNICATOR_INTERNAL_H_
#define EDGEPIPE_MPI_COMMUNICATOR_INTERNAL_H_

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "src/core/status.h"
#include "src/mpi/communicator.h"

namespace edgepipe::mpi {

inline std::string MpiError(int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(rc);
  return std::string(text, static_cast<size_t>(len));
}

struct Communicator::Impl {
  MPI_Comm comm = MPI_COMM_NULL;

  Status Check(int rc, const char* op) {
    if (rc == MPI_SUCCESS) return Status::OK();
    return Status::Internal(std::string("mpi ") + op + ": " + MpiError(rc));
  }

  // Polls `request` until it completes or `timeout` passes. Polling (rather
  // than MPI_Wait) is what lets a rank give up on a peer that never comes;
  // the sleeps keep a waiting rank from taking a core from a computing one
  // when ranks outnumber cores (mpirun --oversubscribe).
  Status Wait(MPI_Request* request, const char* op, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::microseconds(20);
    while (true) {
      int done = 0;
      RETURN_IF_ERROR(Check(MPI_Test(request, &done, MPI_STATUS_IGNORE), op));
      if (done) return Status::OK();
      if (std::chrono::steady_clock::now() > deadline) {
        return Status::ResourceExhausted(
            std::string("mpi ") + op + ": timed out after " +
            std::to_string(std::chrono::duration<double>(timeout).count()) +
            " s waiting for the other ranks (one died or hangs)");
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::microseconds(2000));
    }
  }
};

}  // namespace edgepipe::mpi

#endif  // EDGEPIPE_MPI_COMMUNICATOR_INTERNAL_H_
