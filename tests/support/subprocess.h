// Test-only: runs a shell command and captures its stdout and exit code.
// Used to drive the third-party readers (node scripts, Arm NN) the tests
// check our files against. Not for library code.
#ifndef EDGEPIPE_TESTS_SUPPORT_SUBPROCESS_H_
#define EDGEPIPE_TESTS_SUPPORT_SUBPROCESS_H_

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace edgepipe::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout only; stderr passes through to the test log
};

inline CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) result.out.append(buf, n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// "node <repo>/tests/js/<script> <args>" with NODE_PATH at the repository's node_modules.
inline std::string NodeCommand(const std::string& script, const std::string& args) {
  std::string repo = EDGEPIPE_SOURCE_DIR;
  return "NODE_PATH='" + repo + "/node_modules' node '" + repo + "/tests/js/" + script + "' " +
         args;
}

}  // namespace edgepipe::testing

#endif  // EDGEPIPE_TESTS_SUPPORT_SUBPROCESS_H_
