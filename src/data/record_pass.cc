#include "src/data/record_pass.h"

#include <google/protobuf/arena.h>

#include <memory>
#include <mutex>

#include "src/io/tfrecord.h"

namespace edgepipe::data {

namespace {

// Hands out batches of records from the files in order; thread-safe.
class RecordSource {
 public:
  RecordSource(const std::vector<std::string>& files, int64_t batch, int64_t begin = 0,
               int64_t end = -1)
      : files_(files), batch_(std::max<int64_t>(batch, 1)), begin_(begin), end_(end) {}

  struct Batch {
    std::vector<std::string> records;
    size_t size = 0;
    std::string file;
    int64_t first_record = 0;
  };

  // Fills `*out` with the next records of one file; false when all files are
  // read or the source failed.
  StatusOr<bool> Next(Batch* out) {
    std::lock_guard<std::mutex> lock(mu_);
    out->size = 0;
    while (failed_.ok()) {
      if (end_ >= 0 && global_ >= end_) return false;
      if (reader_ == nullptr) {
        if (next_file_ == files_.size()) return false;
        auto reader = io::TFRecordReader::Open(files_[next_file_++]);
        if (!reader.ok()) return Fail(reader.status());
        reader_ = std::move(reader).value();
      }
      // Another shard's records: read through, not handed out.
      bool at_end = false;
      while (global_ < begin_ && !at_end) {
        StatusOr<bool> more = reader_->ReadRecord(&skipped_);
        if (!more.ok()) return Fail(more.status());
        if (more.value()) {
          ++global_;
        } else {
          at_end = true;
        }
      }
      out->file = reader_->name();
      out->first_record = reader_->records_read();
      if (out->records.size() < static_cast<size_t>(batch_)) out->records.resize(batch_);
      while (!at_end && out->size < static_cast<size_t>(batch_) && (end_ < 0 || global_ < end_)) {
        StatusOr<bool> more = reader_->ReadRecord(&out->records[out->size]);
        if (!more.ok()) return Fail(more.status());
        if (!more.value()) break;
        ++out->size;
        ++global_;
      }
      if (out->size > 0) return true;
      reader_.reset();
    }
    return failed_;
  }

  // Stops every thread's next Next() (after another thread's error).
  void Stop(const Status& status) {
    std::lock_guard<std::mutex> lock(mu_);
    if (failed_.ok()) failed_ = status;
  }

 private:
  Status Fail(const Status& status) {
    failed_ = status;
    return status;
  }
  const std::vector<std::string>& files_;
  const int64_t batch_;
  const int64_t begin_, end_;  // the range of global record indices handed out
  int64_t global_ = 0;         // records read so far, over all files
  std::string skipped_;
  std::mutex mu_;
  size_t next_file_ = 0;
  std::unique_ptr<io::TFRecordReader> reader_;
  Status failed_;
};

}  // namespace

Status ForEachRecord(const std::vector<std::string>& files, int64_t records_per_batch,
                     ThreadPool* pool, const RecordVisitor& visit) {
  return ForEachRecordInRange(files, 0, -1, records_per_batch, pool, visit);
}

Status ForEachRecordInRange(const std::vector<std::string>& files, int64_t begin, int64_t end,
                            int64_t records_per_batch, ThreadPool* pool,
                            const RecordVisitor& visit) {
  const int threads = pool->num_threads();
  std::vector<Status> errors(static_cast<size_t>(threads));
  RecordSource source(files, records_per_batch, begin, end);
  // One chunk per thread; each pulls batches until the source runs dry.
  pool->ParallelForEachChunk(threads, [&](int64_t chunk, int) {
    const int slot = static_cast<int>(chunk);
    Status& error = errors[static_cast<size_t>(slot)];
    RecordSource::Batch batch;
    for (;;) {
      StatusOr<bool> more = source.Next(&batch);
      if (!more.ok()) {
        error = more.status();
        return;
      }
      if (!more.value()) return;
      for (size_t i = 0; i < batch.size; ++i) {
        error = visit(slot, batch.records[i]);
        if (!error.ok()) {
          error = error.WithContext(batch.file + ": record " +
                                    std::to_string(batch.first_record + static_cast<int64_t>(i)));
          source.Stop(error);
          return;
        }
      }
    }
  });
  // The first real error (a thread stopped by another's error reports that one).
  for (const Status& error : errors) RETURN_IF_ERROR(error);
  return Status::OK();
}

Status ForEachExample(const std::vector<std::string>& files, int64_t records_per_batch,
                      ThreadPool* pool, const ExampleVisitor& visit) {
  return ForEachExampleInRange(files, 0, -1, records_per_batch, pool, visit);
}

Status ForEachExampleInRange(const std::vector<std::string>& files, int64_t begin, int64_t end,
                             int64_t records_per_batch, ThreadPool* pool,
                             const ExampleVisitor& visit) {
  // Examples are parsed into a per-thread arena emptied every batch of
  // records: a tf.Example of 784 one-float features is ~2,400 allocations,
  // which malloc/free made a fifth of a statistics pass.
  struct Slot {
    google::protobuf::Arena arena;
    int64_t parsed = 0;
  };
  std::vector<Slot> slots(static_cast<size_t>(pool->num_threads()));
  const int64_t reset_every = std::max<int64_t>(records_per_batch, 1);
  return ForEachRecordInRange(
      files, begin, end, records_per_batch, pool, [&](int slot, std::string_view record) {
        Slot& s = slots[static_cast<size_t>(slot)];
        if (s.parsed++ % reset_every == 0) s.arena.Reset();
        auto* example = google::protobuf::Arena::CreateMessage<tensorflow::Example>(&s.arena);
        if (!example->ParseFromArray(record.data(), static_cast<int>(record.size()))) {
          return Status::Corruption("not a valid tensorflow.Example (" +
                                    std::to_string(record.size()) + " bytes)");
        }
        return visit(slot, *example);
      });
}

}  // namespace edgepipe::data
