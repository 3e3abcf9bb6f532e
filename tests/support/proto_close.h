// Test-only: two protobuf messages equal up to floating-point rounding:
// integers, strings and repeated field sizes exactly, doubles and floats
// within 1e-12 relative. What a sharded pass (MPI ranks) must match one
// process by. Reports the differences as a GoogleTest failure. Header-only.
#ifndef EDGEPIPE_TESTS_SUPPORT_PROTO_CLOSE_H_
#define EDGEPIPE_TESTS_SUPPORT_PROTO_CLOSE_H_

#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

#include <string>

namespace edgepipe::testing {

template <typename Message>
void ExpectProtoClose(const Message& a, const Message& b) {
  google::protobuf::util::DefaultFieldComparator comparator;
  comparator.set_float_comparison(google::protobuf::util::DefaultFieldComparator::APPROXIMATE);
  comparator.SetDefaultFractionAndMargin(1e-12, 1e-300);
  google::protobuf::util::MessageDifferencer differencer;
  differencer.set_field_comparator(&comparator);
  std::string report;
  differencer.ReportDifferencesToString(&report);
  EXPECT_TRUE(differencer.Compare(a, b)) << report;
}

}  // namespace edgepipe::testing

#endif  // EDGEPIPE_TESTS_SUPPORT_PROTO_CLOSE_H_
