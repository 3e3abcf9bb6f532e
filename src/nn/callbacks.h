// Keras-style callbacks for Model::Fit: EarlyStopping, ModelCheckpoint,
// CSVLogger (history.csv).
//
// Fit calls OnTrainBegin once, OnEpochEnd after each epoch (with the epoch's
// logs, validation metrics included) and OnTrainEnd once; a callback may ask
// the model to stop (Model::StopTraining) or return an error Status, which
// ends Fit with that error. Callbacks are borrowed by FitOptions for the call;
// one Fit at a time.
#ifndef EDGEPIPE_NN_CALLBACKS_H_
#define EDGEPIPE_NN_CALLBACKS_H_

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "src/core/status.h"

namespace edgepipe::nn {

class Model;
// {"loss", 0.31}, {"accuracy", 0.9}, {"val_loss", ...}: one epoch's values.
using EpochLogs = std::vector<std::pair<std::string, double>>;

class Callback {
 public:
  virtual ~Callback() = default;
  virtual Status OnTrainBegin(Model& /*model*/) { return Status::OK(); }
  virtual Status OnEpochEnd(Model& /*model*/, int64_t /*epoch*/, const EpochLogs& /*logs*/) {
    return Status::OK();
  }
  virtual Status OnTrainEnd(Model& /*model*/) { return Status::OK(); }
};

// Keras EarlyStopping. mode "auto" maximises monitors containing "acc" or
// "auc" and minimises the rest. An epoch improves when it beats the best by
// more than min_delta. After `patience` epochs without improvement training
// stops and, with restore_best_weights, the weights of the best epoch come
// back. A monitor missing from the logs is InvalidArgument.
struct EarlyStoppingOptions {
  std::string monitor = "val_loss";
  float min_delta = 0.0f;
  int64_t patience = 0;
  std::string mode = "auto";  // "auto" | "min" | "max"
  bool restore_best_weights = false;
};
class EarlyStopping final : public Callback {
 public:
  explicit EarlyStopping(EarlyStoppingOptions options = {});
  Status OnTrainBegin(Model& model) override;
  Status OnEpochEnd(Model& model, int64_t epoch, const EpochLogs& logs) override;
  // Epoch (0-based) at which training was stopped, -1 if it ran to the end.
  int64_t stopped_epoch() const { return stopped_epoch_; }
  int64_t best_epoch() const { return best_epoch_; }
  double best() const { return best_; }

 private:
  EarlyStoppingOptions o_;
  bool maximize_ = false;
  double best_ = 0;
  int64_t wait_ = 0, best_epoch_ = -1, stopped_epoch_ = -1;
  std::vector<float> best_weights_;
};

// Keras ModelCheckpoint (saving the whole model, TF.js layers format, with
// SaveModel into `dir`). save_best_only: only when `monitor` improved.
struct ModelCheckpointOptions {
  std::string dir;
  std::string monitor = "val_loss";
  std::string mode = "auto";
  bool save_best_only = false;
};
class ModelCheckpoint final : public Callback {
 public:
  explicit ModelCheckpoint(ModelCheckpointOptions options);
  Status OnEpochEnd(Model& model, int64_t epoch, const EpochLogs& logs) override;
  int64_t saves() const { return saves_; }

 private:
  ModelCheckpointOptions o_;
  bool maximize_ = false;
  double best_;
  int64_t saves_ = 0;
};

// Keras CSVLogger: `dir`/history.csv with a header "epoch,<keys sorted>" and
// one row per epoch, rewritten atomically after every epoch.
class CsvLogger final : public Callback {
 public:
  explicit CsvLogger(std::string dir) : dir_(std::move(dir)) {}
  Status OnTrainBegin(Model& model) override;
  Status OnEpochEnd(Model& model, int64_t epoch, const EpochLogs& logs) override;

 private:
  std::string dir_;
  std::string text_;
  std::vector<std::string> keys_;
};

}  // namespace edgepipe::nn

#endif  // EDGEPIPE_NN_CALLBACKS_H_
