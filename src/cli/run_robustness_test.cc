// What a pipeline run promises when things go wrong around it, checked on the
// real `edgepipe run mnist` (a small pipeline on tiny MNIST):
//   - killed with SIGKILL at any point, Pusher included, a rerun completes and
//     leaves a sound store, every COMPLETE execution's outputs on disk, and a
//     serving folder holding exactly the versions the store records, with the
//     files of an uninterrupted run (20 seeded trials);
//   - two runs started together on one root take turns (or, with --no-wait,
//     one refuses cleanly), nothing duplicated (10 trials);
//   - a full disk ends in a clear error and a consistent store and serving
//     folder, and a rerun with space completes.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "src/core/files.h"
#include "src/metadata/metadata_store.h"
#include "tests/support/subprocess.h"
#include "tests/support/tiny_mnist.h"

namespace edgepipe {
namespace {

namespace md = ::edgepipe::metadata;
using Clock = std::chrono::steady_clock;

// The pipeline's flags: small, deterministic (fixed seed), every model
// blessed (threshold 0) so both Pushers push.
const char* const kRunFlags[] = {
    "run",    "mnist", "--train-steps",        "40", "--eval-steps", "3",
    "--seed", "7",     "--accuracy-threshold", "0"};

struct Layout {
  std::string dir, data, root, db, serving;
};

Layout MakeLayout(const std::string& dir, const std::string& data) {
  return {dir, data, JoinPath(dir, "root"), JoinPath(dir, "metadata.sqlite"),
          JoinPath(dir, "serving")};
}

std::vector<std::string> RunArgs(const Layout& l, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {EDGEPIPE_CLI};
  for (const char* f : kRunFlags) args.push_back(f);
  for (const std::string& f :
       {std::string("--data"), l.data, std::string("--pipeline-root"), l.root,
        std::string("--metadata"), l.db, std::string("--serving-dir"), l.serving}) {
    args.push_back(f);
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Starts `args` with stdout and stderr to `log`, and EDGEPIPE_CRASH_AT set
// when `crash_at` is not empty.
pid_t Spawn(const std::vector<std::string>& args, const std::string& log,
            const std::string& crash_at = "") {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    ::dup2(fd, 1);
    ::dup2(fd, 2);
  }
  if (crash_at.empty()) {
    ::unsetenv("EDGEPIPE_CRASH_AT");
  } else {
    ::setenv("EDGEPIPE_CRASH_AT", crash_at.c_str(), 1);
  }
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

int Wait(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Slurp(const std::string& path) {
  auto text = ReadFile(path);
  return text.ok() ? *text : "";
}

// relative path -> bytes of every file under `dir`.
std::map<std::string, std::string> FilesUnder(const std::string& dir) {
  std::map<std::string, std::string> out;
  auto files = ListFilesRecursively(dir);
  if (!files.ok()) return out;
  for (const std::string& f : *files) out[f.substr(dir.size() + 1)] = Slurp(f);
  return out;
}

// The serving folders a pipeline run fills: <serving>/<model>/<version>/.
const char* const kModels[] = {"mnist", "mnist_lite"};

// model -> files of its one pushed version (empty when not exactly one).
using Pushed = std::map<std::string, std::map<std::string, std::string>>;

// Checks everything the store and the folders must agree on; returns what
// was pushed. After a completed run (`run_completed`) also: nothing RUNNING,
// and exactly one version per model. `where` names the trial.
Pushed CheckConsistent(const Layout& l, const std::string& where, bool run_completed = true) {
  SCOPED_TRACE(where);
  Pushed pushed;
  auto integrity = testing::RunCommand("sqlite3 '" + l.db + "' 'PRAGMA integrity_check'");
  EXPECT_EQ(integrity.out, "ok\n");
  auto store = md::MetadataStore::Open(l.db, {.create_if_missing = false, .read_only = true});
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return pushed;
  auto execs = (*store)->GetExecutions();
  EXPECT_TRUE(execs.ok());
  if (!execs.ok()) return pushed;
  std::set<std::string> recorded_versions;
  for (const md::Execution& e : *execs) {
    if (run_completed) {
      EXPECT_NE(e.last_known_state, md::Execution::State::kRunning) << "execution " << e.id;
    }
    if (e.last_known_state != md::Execution::State::kComplete &&
        e.last_known_state != md::Execution::State::kCached) {
      continue;
    }
    auto events = (*store)->GetEventsByExecutionIDs({e.id});
    EXPECT_TRUE(events.ok());
    if (!events.ok()) continue;
    std::vector<int64_t> outputs;
    for (const md::Event& ev : *events) {
      if (ev.type == md::Event::Type::kOutput) outputs.push_back(ev.artifact_id);
    }
    EXPECT_FALSE(outputs.empty()) << "execution " << e.id << " has no outputs";
    auto artifacts = (*store)->GetArtifactsByID(outputs);
    EXPECT_TRUE(artifacts.ok());
    if (!artifacts.ok()) continue;
    for (const md::Artifact& a : *artifacts) {
      EXPECT_TRUE(IsDirectory(a.uri)) << "execution " << e.id << " output " << a.uri;
      auto dest = a.custom_properties.find("pushed_destination");
      if (a.type == "PushedModel" && dest != a.custom_properties.end()) {
        recorded_versions.insert(std::get<std::string>(dest->second));
      }
    }
  }
  // The serving folder holds exactly the recorded versions: nothing hidden
  // (no staging), nothing unrecorded.
  std::set<std::string> on_disk;
  for (const char* model : kModels) {
    std::string base = JoinPath(l.serving, model);
    auto names = ListDirectory(base);
    if (!names.ok()) continue;
    for (const std::string& n : *names) on_disk.insert(JoinPath(base, n));
    if (names->size() == 1) pushed[model] = FilesUnder(JoinPath(base, names->front()));
    if (run_completed) {
      EXPECT_EQ(names->size(), 1u) << base;
    }
  }
  EXPECT_EQ(on_disk, recorded_versions);
  // No staging left in the root either.
  auto root_files = ListFilesRecursively(l.root);
  if (root_files.ok()) {
    for (const std::string& f : *root_files) {
      EXPECT_EQ(f.find("/.temp/"), std::string::npos) << f;
    }
  }
  return pushed;
}

class RunRobustnessTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(::testing::TempDir() + "run_robustness_" + std::to_string(::getpid()));
    ASSERT_TRUE(RemoveAll(*dir_).ok());
    data_ = new std::string(JoinPath(*dir_, "data"));
    ASSERT_TRUE(CreateDirectories(*data_).ok());
    ASSERT_TRUE(testing::WriteTinyMnist(*data_, 300).ok());
    // The uninterrupted run every trial is compared with.
    Layout ref = MakeLayout(JoinPath(*dir_, "reference"), *data_);
    ASSERT_TRUE(CreateDirectories(ref.dir).ok());
    Clock::time_point t0 = Clock::now();
    int code = Wait(Spawn(RunArgs(ref), JoinPath(ref.dir, "log")));
    reference_ms_ = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    ASSERT_EQ(code, 0) << Slurp(JoinPath(ref.dir, "log"));
    reference_ = new Pushed(CheckConsistent(ref, "reference run"));
    ASSERT_EQ(reference_->size(), 2u);
  }
  static void TearDownTestSuite() {
    (void)RemoveAll(*dir_);
    delete dir_;
    delete data_;
    delete reference_;
  }

  Layout Trial(const std::string& name) {
    Layout l = MakeLayout(JoinPath(*dir_, name), *data_);
    EXPECT_TRUE(RemoveAll(l.dir).ok());
    EXPECT_TRUE(CreateDirectories(l.dir).ok());
    return l;
  }

  static std::string* dir_;
  static std::string* data_;
  static Pushed* reference_;
  static double reference_ms_;
};
std::string* RunRobustnessTest::dir_ = nullptr;
std::string* RunRobustnessTest::data_ = nullptr;
Pushed* RunRobustnessTest::reference_ = nullptr;
double RunRobustnessTest::reference_ms_ = 0;

TEST_F(RunRobustnessTest, KilledAtAnyPointTheRerunIsConsistentAndPushesTheSameFiles) {
  // Named points stop the run exactly between two steps of a publish (a
  // random kill rarely lands in those microseconds); the others are kill -9
  // after a seeded random delay within the uninterrupted run's duration.
  const std::vector<std::string> points = {
      "pusher.after_recording_publish",  "pusher.after_staging",
      "runner.after_external_publish",   "runner.after_complete:6",
      "runner.after_placing_outputs:7",  "pusher.after_staging:2",
      "runner.after_external_publish:2", "runner.after_placing_outputs:1"};
  constexpr int kTrials = 20;
  for (int trial = 0; trial < kTrials; ++trial) {
    std::mt19937 rng(1000 + trial);
    const std::string name = "kill_" + std::to_string(trial);
    Layout l = Trial(name);
    std::string how;
    pid_t pid;
    if (trial < static_cast<int>(points.size())) {
      how = "crash point " + points[trial];
      pid = Spawn(RunArgs(l), JoinPath(l.dir, "killed.log"), points[trial]);
    } else {
      int delay_ms = std::uniform_int_distribution<int>(0, static_cast<int>(reference_ms_))(rng);
      how = "kill -9 after " + std::to_string(delay_ms) + " ms";
      pid = Spawn(RunArgs(l), JoinPath(l.dir, "killed.log"));
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      ::kill(pid, SIGKILL);
    }
    int killed = Wait(pid);
    if (trial < static_cast<int>(points.size())) {
      EXPECT_EQ(killed, 128 + SIGKILL) << how << ": the crash point was not reached\n"
                                       << Slurp(JoinPath(l.dir, "killed.log"));
    }
    int rerun = Wait(Spawn(RunArgs(l), JoinPath(l.dir, "rerun.log")));
    ASSERT_EQ(rerun, 0) << how << "\n" << Slurp(JoinPath(l.dir, "rerun.log"));
    Pushed pushed = CheckConsistent(l, name + " (" + how + ")");
    EXPECT_TRUE(pushed == *reference_) << name << " (" << how << "): pushed files differ";
    (void)RemoveAll(l.dir);
  }
}

TEST_F(RunRobustnessTest, TwoRunsStartedTogetherTakeTurnsAndDuplicateNothing) {
  for (int trial = 0; trial < 10; ++trial) {
    Layout l = Trial("together_" + std::to_string(trial));
    pid_t a = Spawn(RunArgs(l), JoinPath(l.dir, "a.log"));
    pid_t b = Spawn(RunArgs(l), JoinPath(l.dir, "b.log"));
    int code_a = Wait(a), code_b = Wait(b);
    std::string logs = Slurp(JoinPath(l.dir, "a.log")) + Slurp(JoinPath(l.dir, "b.log"));
    ASSERT_EQ(code_a, 0) << logs;
    ASSERT_EQ(code_b, 0) << logs;
    // One of them executed the pipeline, the other found it cached.
    EXPECT_NE(logs.find("11 nodes executed, 0 cached"), std::string::npos) << logs;
    EXPECT_NE(logs.find("0 nodes executed, 11 cached"), std::string::npos) << logs;
    Pushed pushed = CheckConsistent(l, "trial " + std::to_string(trial));
    EXPECT_TRUE(pushed == *reference_);
    (void)RemoveAll(l.dir);
  }
}

TEST_F(RunRobustnessTest, WithNoWaitTheSecondRunRefusesCleanly) {
  for (int trial = 0; trial < 10; ++trial) {
    Layout l = Trial("no_wait_" + std::to_string(trial));
    pid_t a = Spawn(RunArgs(l, {"--no-wait"}), JoinPath(l.dir, "a.log"));
    pid_t b = Spawn(RunArgs(l, {"--no-wait"}), JoinPath(l.dir, "b.log"));
    int code_a = Wait(a), code_b = Wait(b);
    std::string log_a = Slurp(JoinPath(l.dir, "a.log")), log_b = Slurp(JoinPath(l.dir, "b.log"));
    // Either they did not overlap (both succeed, the second cached) or the
    // later one refused with one error line naming the lock.
    EXPECT_TRUE(code_a == 0 || code_b == 0) << log_a << log_b;
    for (const auto& [code, log] : {std::pair{code_a, log_a}, std::pair{code_b, log_b}}) {
      if (code == 0) continue;
      EXPECT_EQ(code, 1) << log;
      EXPECT_NE(log.find("error: "), std::string::npos) << log;
      EXPECT_NE(log.find(".lock: in use by pid "), std::string::npos) << log;
    }
    Pushed pushed = CheckConsistent(l, "trial " + std::to_string(trial));
    EXPECT_TRUE(pushed == *reference_);
    (void)RemoveAll(l.dir);
  }
}

TEST_F(RunRobustnessTest, FullDiskIsAClearErrorAndARerunWithSpaceCompletes) {
  // Filesystems too small for the run, each full at a different step (the
  // examples, a trainer's model, an SQLite commit, a push).
  for (const char* size : {"300k", "1m", "2m", "3m"}) {
    SCOPED_TRACE(std::string("tmpfs size=") + size);
    Layout l = Trial(std::string("disk_full_") + size);
    const std::string mount_point = JoinPath(l.dir, "small");
    ASSERT_TRUE(CreateDirectories(mount_point).ok());
    if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, (std::string("size=") + size).c_str()) !=
        0) {
      GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
    }
    Layout small = MakeLayout(mount_point, *data_);
    int code = Wait(Spawn(RunArgs(small), JoinPath(l.dir, "full.log")));
    std::string log = Slurp(JoinPath(l.dir, "full.log"));
    EXPECT_EQ(code, 1) << log;
    const size_t error_line = log.starts_with("error: ") ? 0 : log.find("\nerror: ");
    ASSERT_NE(error_line, std::string::npos) << log;
    const std::string error = log.substr(error_line);
    EXPECT_TRUE(error.find("No space left on device") != std::string::npos ||
                error.find("disk is full") != std::string::npos)
        << error;
    // Even before the rerun: a sound store, and no version it does not record.
    CheckConsistent(small, "right after the failed run", /*run_completed=*/false);
    // Grow the filesystem, as freeing space would, and run again.
    ASSERT_EQ(::mount("tmpfs", mount_point.c_str(), "tmpfs", MS_REMOUNT, "size=64m"), 0);
    code = Wait(Spawn(RunArgs(small), JoinPath(l.dir, "rerun.log")));
    EXPECT_EQ(code, 0) << Slurp(JoinPath(l.dir, "rerun.log"));
    Pushed pushed = CheckConsistent(small, "after the rerun", /*run_completed=*/true);
    EXPECT_TRUE(pushed == *reference_);
    ::umount2(mount_point.c_str(), MNT_DETACH);
    (void)RemoveAll(l.dir);
  }
}

}  // namespace
}  // namespace edgepipe
