// Test-only: TFDV statistics of tf.Examples built in the test, through the
// real StatisticsAccumulator (so validation and schema tests see what
// StatisticsGen writes).
#ifndef EDGEPIPE_TESTS_SUPPORT_EXAMPLE_STATISTICS_H_
#define EDGEPIPE_TESTS_SUPPORT_EXAMPLE_STATISTICS_H_

#include <gtest/gtest.h>

#include <string>

#include "src/data/statistics.h"
#include "src/io/example.pb.h"

namespace edgepipe::testing {

// Statistics (dataset `name`) of the examples built by `fill(i, &example)`
// for i in [0, n).
template <typename Fill>
data::tfmd::DatasetFeatureStatistics StatsOf(int n, Fill fill, const std::string& name = "split") {
  data::StatisticsAccumulator acc({});
  for (int i = 0; i < n; ++i) {
    tensorflow::Example e;
    fill(i, &e);
    EXPECT_TRUE(acc.AddExample(e).ok());
  }
  return acc.Finish(name);
}

}  // namespace edgepipe::testing

#endif  // EDGEPIPE_TESTS_SUPPORT_EXAMPLE_STATISTICS_H_
