// Keras-style training progress ("Epoch 1/1", then a progress bar).
//
// On a terminal (isatty of the stream's fd) one line is redrawn with '\r':
//   1200/5000 [=====>........................] - ETA: 0s - loss: 0.3012 -
//   sparse_categorical_accuracy: 0.9113
// and finished with the time per step. When the stream is not a terminal
// (a log file, CI), plain lines are printed every 10% of the steps instead.
// Redraws are rate-limited (every 50 ms) so progress never costs training time.
//
// Ownership: the stream is borrowed and must outlive the Progress. Not thread-safe.
#ifndef EDGEPIPE_NN_PROGRESS_H_
#define EDGEPIPE_NN_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace edgepipe::nn {

// One report: where training is and the running metrics of the epoch.
struct ProgressEvent {
  int64_t epoch = 0;  // 0-based
  int64_t epochs = 0;
  int64_t step = 0;    // steps done in this epoch
  int64_t steps = 0;   // steps in this epoch
  double seconds = 0;  // since the epoch began
  bool epoch_end = false;
  std::vector<std::pair<std::string, double>> metrics;  // {"loss", 0.3}, ...
};

// Callback alternative to a stream (e.g. a pipeline's own log).
using ProgressCallback = std::function<void(const ProgressEvent&)>;

class Progress {
 public:
  // stream may be null (silent). verbose: 0 silent, 1 bar (or periodic lines
  // off a terminal), 2 one line per epoch. force_terminal overrides isatty
  // (tests): -1 detect, 0 no, 1 yes. `callback` (may be empty) receives the
  // same events that are printed (with verbose 0 it still gets periodic ones).
  Progress(std::FILE* stream, int verbose, int force_terminal = -1,
           ProgressCallback callback = nullptr);

  void BeginEpoch(int64_t epoch, int64_t epochs, int64_t steps);
  // True when a line is due after `step` steps of the epoch (cheap: one clock
  // read on a terminal, one compare otherwise). Build the event only then.
  bool Due(int64_t step);
  void Update(const ProgressEvent& event);
  // Final line of the epoch (metrics include any val_ ones).
  void EndEpoch(const ProgressEvent& event);

  // Formats the Keras line for `event` (no '\r' or newline).
  static std::string FormatLine(const ProgressEvent& event, bool final_line);

 private:
  std::FILE* stream_;
  int verbose_;
  bool terminal_;
  ProgressCallback callback_;
  int64_t steps_ = 0;
  int64_t plain_interval_ = 1;
  int64_t next_plain_step_ = 0;
  std::chrono::steady_clock::time_point last_draw_;
  size_t last_width_ = 0;
};

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_PROGRESS_H_
