// Arena memory planning for the interpreter (TFLite's greedy-by-size plan).
//
// Every activation tensor and scratch buffer of a model is one request with a
// size and a lifetime [first_op, last_op] (inclusive operator indices). The
// planner gives each request an offset in one arena so that requests whose
// lifetimes overlap never share bytes; requests are placed largest first at
// the lowest offset that fits. Offsets are multiples of kArenaAlignment.
//
// Pure function, thread-safe.
#ifndef EDGEPIPE_LITE_MEMORY_PLANNER_H_
#define EDGEPIPE_LITE_MEMORY_PLANNER_H_

#include <cstddef>
#include <vector>

namespace edgepipe::lite {

inline constexpr size_t kArenaAlignment = 64;

struct BufferRequest {
  size_t bytes = 0;
  int first_op = 0;  // first operator that touches the buffer
  int last_op = 0;   // last operator that touches the buffer (>= first_op)
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // one per request, in request order
  size_t arena_bytes = 0;       // total size needed
};

MemoryPlan PlanMemory(const std::vector<BufferRequest>& requests);

}  // namespace edgepipe::lite

#endif  // EDGEPIPE_LITE_MEMORY_PLANNER_H_
