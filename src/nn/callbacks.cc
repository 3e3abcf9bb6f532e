#include "src/nn/callbacks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "src/core/files.h"
#include "src/nn/model.h"
#include "src/nn/saving.h"

namespace edgepipe::nn {
namespace {

bool Maximize(const std::string& mode, const std::string& monitor) {
  if (mode == "max") return true;
  if (mode == "min") return false;
  return monitor.find("acc") != std::string::npos || monitor.find("auc") != std::string::npos;
}

StatusOr<double> Find(const EpochLogs& logs, const std::string& key, const char* who) {
  for (const auto& [name, value] : logs) {
    if (name == key) return value;
  }
  std::string have;
  for (const auto& [name, value] : logs) have += (have.empty() ? "" : ", ") + name;
  return Status::InvalidArgument(std::string(who) + ": monitor '" + key +
                                 "' is not in the epoch logs (" + have + ")");
}

}  // namespace

EarlyStopping::EarlyStopping(EarlyStoppingOptions options) : o_(std::move(options)) {
  maximize_ = Maximize(o_.mode, o_.monitor);
}

Status EarlyStopping::OnTrainBegin(Model&) {
  wait_ = 0;
  best_epoch_ = stopped_epoch_ = -1;
  best_ = maximize_ ? -INFINITY : INFINITY;
  best_weights_.clear();
  return Status::OK();
}

Status EarlyStopping::OnEpochEnd(Model& model, int64_t epoch, const EpochLogs& logs) {
  ASSIGN_OR_RETURN(double current, Find(logs, o_.monitor, "EarlyStopping"));
  if (o_.restore_best_weights && best_weights_.empty()) best_weights_ = model.SnapshotWeights();
  ++wait_;
  const double delta = std::fabs(o_.min_delta);
  const bool improved = maximize_ ? current - delta > best_ : current + delta < best_;
  if (improved) {
    best_ = current;
    best_epoch_ = epoch;
    wait_ = 0;
    if (o_.restore_best_weights) best_weights_ = model.SnapshotWeights();
    return Status::OK();
  }
  if (wait_ >= o_.patience && epoch > 0) {
    stopped_epoch_ = epoch;
    model.StopTraining();
    if (o_.restore_best_weights && !best_weights_.empty()) model.RestoreWeights(best_weights_);
  }
  return Status::OK();
}

ModelCheckpoint::ModelCheckpoint(ModelCheckpointOptions options) : o_(std::move(options)) {
  maximize_ = Maximize(o_.mode, o_.monitor);
  best_ = maximize_ ? -INFINITY : INFINITY;
}

Status ModelCheckpoint::OnEpochEnd(Model& model, int64_t, const EpochLogs& logs) {
  if (o_.save_best_only) {
    ASSIGN_OR_RETURN(double current, Find(logs, o_.monitor, "ModelCheckpoint"));
    if (!(maximize_ ? current > best_ : current < best_)) return Status::OK();
    best_ = current;
  }
  RETURN_IF_ERROR(SaveModel(model, o_.dir));
  ++saves_;
  return Status::OK();
}

Status CsvLogger::OnTrainBegin(Model&) {
  text_.clear();
  keys_.clear();
  return CreateDirectories(dir_);
}

Status CsvLogger::OnEpochEnd(Model&, int64_t epoch, const EpochLogs& logs) {
  if (keys_.empty()) {
    for (const auto& [name, value] : logs) keys_.push_back(name);
    std::sort(keys_.begin(), keys_.end());
    text_ = "epoch";
    for (const std::string& k : keys_) text_ += "," + k;
    text_ += "\n";
  }
  text_ += std::to_string(epoch);
  for (const std::string& k : keys_) {
    double v = NAN;
    for (const auto& [name, value] : logs) {
      if (name == k) v = value;
    }
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.17g", v);
    text_ += std::string(",") + buf;
  }
  text_ += "\n";
  return WriteFileAtomic(JoinPath(dir_, "history.csv"), text_);
}

}  // namespace edgepipe::nn
