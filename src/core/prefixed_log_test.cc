#include "src/core/prefixed_log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

namespace edgepipe {
namespace {

std::string ReadAll(std::FILE* f) {
  std::rewind(f);
  std::string out;
  char buf[256];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  return out;
}

TEST(PrefixedLogTest, PrefixesEveryLineAndTurnsCarriageReturnsIntoLines) {
  std::FILE* target = std::tmpfile();
  ASSERT_NE(target, nullptr);
  {
    PrefixedLog log(target, "[Trainer.mnist] ");
    std::fprintf(log.file(), "Epoch 1/1\n 10/20 [===>...]");
    std::fprintf(log.file(), "\r 20/20 [=======] - loss: %.2f\n", 0.25);
    std::fprintf(log.file(), "tail without newline");
    EXPECT_EQ(::isatty(::fileno(log.file())), 0);
  }
  EXPECT_EQ(ReadAll(target),
            "[Trainer.mnist] Epoch 1/1\n"
            "[Trainer.mnist]  10/20 [===>...]\n"
            "[Trainer.mnist]  20/20 [=======] - loss: 0.25\n"
            "[Trainer.mnist] tail without newline\n");
  std::fclose(target);
}

TEST(PrefixedLogTest, NullTargetLogsNothing) {
  PrefixedLog log(nullptr, "x");
  EXPECT_EQ(log.file(), nullptr);
}

}  // namespace
}  // namespace edgepipe
