#include "src/core/collective.h"

#include "src/core/byte_buffer.h"

namespace edgepipe {

std::string EncodeStatus(const Status& s) {
  ByteWriter w;
  w.Put<int32_t>(static_cast<int32_t>(s.code()));
  w.PutString(s.message());
  return w.Release();
}

Status DecodeStatus(std::string_view bytes, const std::string& what) {
  ByteReader r(bytes, what);
  int32_t code = 0;
  std::string message;
  RETURN_IF_ERROR(r.Get(&code));
  RETURN_IF_ERROR(r.GetString(&message));
  switch (static_cast<Status::Code>(code)) {
    case Status::Code::kOk:
      return Status::OK();
    case Status::Code::kInvalidArgument:
      return Status::InvalidArgument(message);
    case Status::Code::kNotFound:
      return Status::NotFound(message);
    case Status::Code::kCorruption:
      return Status::Corruption(message);
    case Status::Code::kIOError:
      return Status::IOError(message);
    case Status::Code::kFailedPrecondition:
      return Status::FailedPrecondition(message);
    case Status::Code::kUnimplemented:
      return Status::Unimplemented(message);
    case Status::Code::kResourceExhausted:
      return Status::ResourceExhausted(message);
    default:
      return Status::Internal(message);
  }
}

Status AgreeOnStatus(Collective& group, const Status& mine) {
  ASSIGN_OR_RETURN(std::vector<std::string> all, group.Gather(EncodeStatus(mine)));
  std::string verdict;
  if (group.is_root()) {
    verdict = EncodeStatus(Status::OK());
    for (size_t r = 0; r < all.size(); ++r) {
      Status s = DecodeStatus(all[r], "status from rank " + std::to_string(r));
      if (!s.ok()) {
        verdict = EncodeStatus(s.WithContext("rank " + std::to_string(r)));
        break;
      }
    }
  }
  RETURN_IF_ERROR(group.Broadcast(&verdict));
  return DecodeStatus(verdict, "verdict from rank 0");
}

StatusOr<std::string> BroadcastFromRoot(Collective& group, const StatusOr<std::string>& mine,
                                        const std::string& what) {
  // "status, then the bytes when OK", from root.
  std::string bytes;
  if (group.is_root()) {
    ByteWriter w;
    w.PutString(EncodeStatus(mine.status()));
    if (mine.ok()) w.PutString(*mine);
    bytes = w.Release();
  }
  RETURN_IF_ERROR(group.Broadcast(&bytes));
  if (group.is_root()) return mine;
  ByteReader r(bytes, what);
  std::string status, payload;
  RETURN_IF_ERROR(r.GetString(&status));
  RETURN_IF_ERROR(DecodeStatus(status, what));
  RETURN_IF_ERROR(r.GetString(&payload));
  RETURN_IF_ERROR(r.ExpectEnd());
  return payload;
}

std::pair<int64_t, int64_t> ShardOf(const Collective& group, int64_t n) {
  const int64_t p = group.size(), r = group.rank();
  return {n * r / p, n * (r + 1) / p};
}

Status MergeShardsOnRoot(Collective& group, const StatusOr<std::string>& mine,
                         const std::function<Status(int rank, std::string_view bytes)>& merge) {
  // Each rank sends "status, then its shard when OK".
  ByteWriter w;
  w.PutString(EncodeStatus(mine.status()));
  w.PutString(mine.ok() ? *mine : std::string());
  ASSIGN_OR_RETURN(std::vector<std::string> all, group.Gather(w.Release()));
  Status merged = Status::OK();
  if (group.is_root()) {
    for (size_t k = 0; k < all.size() && merged.ok(); ++k) {
      const std::string what = "shard of rank " + std::to_string(k);
      ByteReader reader(all[k], what);
      std::string status_bytes, shard_bytes;
      merged = reader.GetString(&status_bytes);
      if (merged.ok()) merged = reader.GetString(&shard_bytes);
      if (merged.ok()) merged = DecodeStatus(status_bytes, what);
      if (!merged.ok()) {
        merged = merged.WithContext("rank " + std::to_string(k));
      } else if (k > 0) {
        merged = merge(static_cast<int>(k), shard_bytes);
      }
    }
  }
  // Rank 0 tells everyone how it went, so all ranks return the same status.
  std::string verdict = group.is_root() ? EncodeStatus(merged) : std::string();
  RETURN_IF_ERROR(group.Broadcast(&verdict));
  return DecodeStatus(verdict, "verdict from rank 0");
}

}  // namespace edgepipe
