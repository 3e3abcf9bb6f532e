// One parallel pass over the tf.Examples of some TFRecord files: the reading
// loop StatisticsGen's statistics and Transform's analyzers share.
//
// Records are read in file order by one reader at a time (a lock hands out
// batches of `records_per_batch` records of one file) and parsed and visited
// on `pool`'s threads, so a pass uses every core while memory stays at a few
// batches. The order in which examples reach `visit` is not the file order;
// callers keep one accumulator per slot and merge them in slot order, which
// makes the result independent of scheduling for order-free statistics.
//
// Thread-safety: ForEachExample may be called from any thread; `visit` runs
// concurrently on different slots, never twice at once on one slot.
#ifndef EDGEPIPE_DATA_RECORD_PASS_H_
#define EDGEPIPE_DATA_RECORD_PASS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "src/core/parallel.h"
#include "src/core/status.h"
#include "src/io/example.pb.h"

namespace edgepipe::data {

// visit(slot, record): slot in [0, pool->num_threads()); `record` (the
// bytes of one TFRecord record) is valid during the call only.
using RecordVisitor = std::function<Status(int slot, std::string_view record)>;
// visit(slot, example): as RecordVisitor, the record parsed.
using ExampleVisitor = std::function<Status(int slot, const tensorflow::Example& example)>;

// Visits every record of `files` (TFRecord, raw or gzip). The first error
// stops the pass and is returned: the TFRecord reader's "<file>: offset ..."
// error, or visit's error prefixed with "<file>: record <i>: ".
Status ForEachRecord(const std::vector<std::string>& files, int64_t records_per_batch,
                     ThreadPool* pool, const RecordVisitor& visit);
// As ForEachRecord, over records [begin, end) of the files read one after
// another (end -1: to the last): one shard of a sharded pass (src/mpi). The
// records before `begin` are read (their CRCs checked), not visited.
Status ForEachRecordInRange(const std::vector<std::string>& files, int64_t begin, int64_t end,
                            int64_t records_per_batch, ThreadPool* pool,
                            const RecordVisitor& visit);

// Visits every record of `files` (TFRecord, raw or gzip). The first error
// stops the pass and is returned: the TFRecord reader's "<file>: offset ..."
// error, Corruption "<file>: record <i>: not a valid tensorflow.Example", or
// visit's error prefixed with "<file>: record <i>: ".
Status ForEachExample(const std::vector<std::string>& files, int64_t records_per_batch,
                      ThreadPool* pool, const ExampleVisitor& visit);
// As ForEachExample, over records [begin, end) (as ForEachRecordInRange).
Status ForEachExampleInRange(const std::vector<std::string>& files, int64_t begin, int64_t end,
                             int64_t records_per_batch, ThreadPool* pool,
                             const ExampleVisitor& visit);

}  // namespace edgepipe::data

#endif  // EDGEPIPE_DATA_RECORD_PASS_H_
