#include "src/lite/memory_planner.h"

#include <algorithm>
#include <numeric>

namespace edgepipe::lite {
namespace {
size_t AlignUp(size_t n) { return (n + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment; }
}  // namespace

MemoryPlan PlanMemory(const std::vector<BufferRequest>& requests) {
  MemoryPlan plan;
  plan.offsets.assign(requests.size(), 0);
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  // Largest first; ties by earlier start so the plan is deterministic.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].bytes != requests[b].bytes) return requests[a].bytes > requests[b].bytes;
    return requests[a].first_op < requests[b].first_op;
  });
  struct Placed {
    size_t offset, end;
    int first, last;
  };
  std::vector<Placed> placed;
  for (size_t idx : order) {
    const BufferRequest& r = requests[idx];
    const size_t size = AlignUp(std::max<size_t>(r.bytes, 1));
    // Buffers alive at the same time as r, by offset.
    std::vector<const Placed*> live;
    for (const Placed& p : placed) {
      if (p.first <= r.last_op && r.first_op <= p.last) live.push_back(&p);
    }
    std::sort(live.begin(), live.end(),
              [](const Placed* a, const Placed* b) { return a->offset < b->offset; });
    size_t offset = 0;
    for (const Placed* p : live) {
      if (offset + size <= p->offset) break;  // fits in the gap before p
      offset = std::max(offset, p->end);
    }
    placed.push_back({offset, offset + size, r.first_op, r.last_op});
    plan.offsets[idx] = offset;
    plan.arena_bytes = std::max(plan.arena_bytes, offset + size);
  }
  return plan;
}

}  // namespace edgepipe::lite
