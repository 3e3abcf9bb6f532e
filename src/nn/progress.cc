#include "src/nn/progress.h"

#include <unistd.h>

#include <cmath>
#include <string>

namespace edgepipe::nn {
namespace {

constexpr int kBarWidth = 30;
constexpr auto kRedrawInterval = std::chrono::milliseconds(50);

void AppendMetric(std::string& line, const std::string& name, double value) {
  char buf[64];
  // Keras prints small values in scientific notation so they stay readable.
  const double a = std::fabs(value);
  std::snprintf(buf, sizeof(buf), (a > 0 && a < 1e-3) ? "%.4e" : "%.4f", value);
  line += " - " + name + ": " + buf;
}

}  // namespace

Progress::Progress(std::FILE* stream, int verbose, int force_terminal, ProgressCallback callback)
    : stream_(verbose > 0 ? stream : nullptr),
      verbose_(verbose),
      terminal_(force_terminal >= 0 ? force_terminal == 1
                                    : (stream != nullptr && ::isatty(::fileno(stream)) == 1)),
      callback_(std::move(callback)) {}

void Progress::BeginEpoch(int64_t epoch, int64_t epochs, int64_t steps) {
  steps_ = steps;
  plain_interval_ = steps >= 10 ? steps / 10 : 1;
  next_plain_step_ = plain_interval_;
  last_draw_ = std::chrono::steady_clock::now();
  last_width_ = 0;
  if (stream_ != nullptr) {
    std::fprintf(stream_, "Epoch %lld/%lld\n", static_cast<long long>(epoch + 1),
                 static_cast<long long>(epochs));
    std::fflush(stream_);
  }
}

bool Progress::Due(int64_t step) {
  if (step >= steps_) return false;  // the epoch's end has its own line
  if (stream_ != nullptr && verbose_ == 1 && terminal_) {
    return std::chrono::steady_clock::now() - last_draw_ >= kRedrawInterval;
  }
  if ((stream_ != nullptr && verbose_ == 1) || callback_) return step >= next_plain_step_;
  return false;
}

void Progress::Update(const ProgressEvent& event) {
  while (next_plain_step_ <= event.step) next_plain_step_ += plain_interval_;
  last_draw_ = std::chrono::steady_clock::now();
  if (callback_) callback_(event);
  if (stream_ == nullptr || verbose_ != 1) return;
  const std::string line = FormatLine(event, false);
  if (terminal_) {
    // Pad over the rest of a longer previous line.
    const size_t pad = last_width_ > line.size() ? last_width_ - line.size() : 0;
    std::fprintf(stream_, "\r%s%*s", line.c_str(), static_cast<int>(pad), "");
    last_width_ = line.size();
  } else {
    std::fprintf(stream_, "%s\n", line.c_str());
  }
  std::fflush(stream_);
}

void Progress::EndEpoch(const ProgressEvent& event) {
  if (callback_) callback_(event);
  if (stream_ == nullptr) return;
  const std::string line = FormatLine(event, true);
  if (terminal_ && verbose_ == 1) {
    const size_t pad = last_width_ > line.size() ? last_width_ - line.size() : 0;
    std::fprintf(stream_, "\r%s%*s\n", line.c_str(), static_cast<int>(pad), "");
  } else {
    std::fprintf(stream_, "%s\n", line.c_str());
  }
  std::fflush(stream_);
}

std::string Progress::FormatLine(const ProgressEvent& event, bool final_line) {
  std::string line;
  const std::string total = std::to_string(event.steps);
  std::string done = std::to_string(event.step);
  if (done.size() < total.size()) done.insert(0, total.size() - done.size(), ' ');
  line += done + "/" + total + " [";
  const int filled =
      event.steps > 0 ? static_cast<int>(kBarWidth * event.step / event.steps) : kBarWidth;
  if (filled > 0) {
    line.append(static_cast<size_t>(filled - 1), '=');
    line += event.step < event.steps ? '>' : '=';
  }
  line.append(static_cast<size_t>(kBarWidth - filled), '.');
  line += "]";
  char buf[64];
  if (final_line) {
    const double per_step = event.step > 0 ? event.seconds / static_cast<double>(event.step) : 0;
    if (per_step >= 1.0) {
      std::snprintf(buf, sizeof(buf), " - %.0fs %.0fs/step", event.seconds, per_step);
    } else {
      std::snprintf(buf, sizeof(buf), " - %.0fs %.2fms/step", event.seconds, per_step * 1e3);
    }
  } else {
    const double eta = event.step > 0 ? event.seconds / static_cast<double>(event.step) *
                                            static_cast<double>(event.steps - event.step)
                                      : 0;
    std::snprintf(buf, sizeof(buf), " - ETA: %.0fs", eta);
  }
  line += buf;
  for (const auto& [name, value] : event.metrics) AppendMetric(line, name, value);
  return line;
}

}  // namespace edgepipe::nn
