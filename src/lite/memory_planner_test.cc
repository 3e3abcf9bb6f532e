#include "src/lite/memory_planner.h"

#include <gtest/gtest.h>

namespace edgepipe::lite {
namespace {

bool Overlap(size_t a, size_t an, size_t b, size_t bn) { return a < b + bn && b < a + an; }

TEST(MemoryPlannerTest, DisjointLifetimesShareMemory) {
  // A chain a -> b -> c: a and c never live together, so they can share.
  MemoryPlan plan = PlanMemory({{1000, 0, 0}, {500, 0, 1}, {1000, 1, 1}});
  ASSERT_EQ(plan.offsets.size(), 3u);
  EXPECT_EQ(plan.offsets[0], plan.offsets[2]);
  EXPECT_FALSE(Overlap(plan.offsets[0], 1000, plan.offsets[1], 500));
  EXPECT_FALSE(Overlap(plan.offsets[2], 1000, plan.offsets[1], 500));
  EXPECT_EQ(plan.arena_bytes, 1024u + 512u);
}

TEST(MemoryPlannerTest, OverlappingLifetimesNeverShareAndOffsetsAreAligned) {
  std::vector<BufferRequest> reqs = {{100, 0, 3}, {64, 1, 2}, {300, 2, 5}, {1, 4, 4}, {70, 0, 5}};
  MemoryPlan plan = PlanMemory(reqs);
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(plan.offsets[i] % kArenaAlignment, 0u);
    EXPECT_LE(plan.offsets[i] + reqs[i].bytes, plan.arena_bytes);
    for (size_t j = i + 1; j < reqs.size(); ++j) {
      const bool live_together =
          reqs[i].first_op <= reqs[j].last_op && reqs[j].first_op <= reqs[i].last_op;
      if (live_together) {
        EXPECT_FALSE(Overlap(plan.offsets[i], reqs[i].bytes, plan.offsets[j], reqs[j].bytes))
            << i << " and " << j;
      }
    }
  }
}

TEST(MemoryPlannerTest, EmptyPlan) {
  MemoryPlan plan = PlanMemory({});
  EXPECT_EQ(plan.arena_bytes, 0u);
}

}  // namespace
}  // namespace edgepipe::lite
