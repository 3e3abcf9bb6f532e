#include "src/io/csv.h"

#include <algorithm>
#include <array>
#include <cfloat>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace edgepipe::io {
namespace {

// The bytes that end the scan of a field: ',', LF, CR and '"' outside quotes,
// LF and '"' inside them, and any byte >= 0x80 (for the UTF-8 check). '"'
// doubles as the sentinel after the data, so the scans need no bounds check.
constexpr char kSentinel = '"';
// Bytes after the sentinel the 16-byte scans may load (never used).
constexpr size_t kPadding = 16;

// The first stop byte at or after q (the sentinel guarantees one). SSE2
// (every x86-64) looks at 16 bytes per step: most fields are shorter, so a
// field costs one step instead of a loop iteration per byte.
#if defined(__SSE2__)
inline const char* ScanTo(const char* q, bool quoted) {
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i comma = _mm_set1_epi8(quoted ? '"' : ',');
  const __m128i cr = _mm_set1_epi8(quoted ? '"' : '\r');
  for (;; q += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
    const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, lf)),
                                     _mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, cr)));
    // The high bit of a byte of v: >= 0x80, UTF-8 to check.
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(hit, v)));
    if (mask != 0) return q + __builtin_ctz(mask);
  }
}
#else
constexpr std::array<bool, 256> MakeStopTable(std::string_view stops) {
  std::array<bool, 256> t{};
  for (char c : stops) t[static_cast<uint8_t>(c)] = true;
  for (int c = 0x80; c < 256; ++c) t[c] = true;
  return t;
}
constexpr std::array<bool, 256> kUnquotedStop = MakeStopTable(",\n\r\"");
constexpr std::array<bool, 256> kQuotedStop = MakeStopTable("\n\"");

inline const char* ScanTo(const char* q, bool quoted) {
  const std::array<bool, 256>& stop = quoted ? kQuotedStop : kUnquotedStop;
  while (!stop[static_cast<uint8_t>(*q)]) ++q;
  return q;
}
#endif

// Length of the UTF-8 sequence at q (Unicode's well-formed table: no
// overlongs, no surrogates, nothing above U+10FFFF), 0 if it is invalid,
// -1 if it is a valid prefix cut by `end`.
int Utf8Length(const char* q, const char* end) {
  const uint8_t c = static_cast<uint8_t>(q[0]);
  int n;
  uint8_t lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c == 0xE0) {
    n = 3, lo = 0xA0;
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    n = 3;
  } else if (c == 0xED) {
    n = 3, hi = 0x9F;
  } else if (c == 0xF0) {
    n = 4, lo = 0x90;
  } else if (c >= 0xF1 && c <= 0xF3) {
    n = 4;
  } else if (c == 0xF4) {
    n = 4, hi = 0x8F;
  } else {
    return 0;
  }
  for (int i = 1; i < n; ++i) {
    if (q + i >= end) return -1;
    const uint8_t b = static_cast<uint8_t>(q[i]);
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) return 0;
  }
  return n;
}

// A value for a message: quoted, control bytes escaped, cut after 64 bytes
// (at a UTF-8 boundary).
std::string Quote(std::string_view v) {
  constexpr size_t kMax = 64;
  bool cut = false;
  if (v.size() > kMax) {
    size_t n = kMax;
    while (n > 0 && (static_cast<uint8_t>(v[n]) & 0xC0) == 0x80) --n;
    v = v.substr(0, n);
    cut = true;
  }
  std::string out = "\"";
  for (char c : v) {
    const uint8_t u = static_cast<uint8_t>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (u < 0x20 || u == 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  out += cut ? "\"..." : "\"";
  return out;
}

// Python's Py_ISSPACE: what int() and float() strip around a number.
bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view StripSpaces(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Advances *i over a run of digits with single '_' between digits; false if
// there is no digit. An '_' not between two digits ends the run (and so
// fails the caller's end check).
bool ScanDigits(std::string_view s, size_t* i, bool* has_underscore) {
  const size_t start = *i;
  while (*i < s.size()) {
    if (IsDigit(s[*i])) {
      ++*i;
    } else if (s[*i] == '_' && *i > start && IsDigit(s[*i - 1]) && *i + 1 < s.size() &&
               IsDigit(s[*i + 1])) {
      *has_underscore = true;
      ++*i;
    } else {
      break;
    }
  }
  return *i > start;
}

}  // namespace

// ---- CsvReader -------------------------------------------------------------

CsvReader::CsvReader(std::unique_ptr<InputStream> in, std::string name, const CsvOptions& options)
    : in_(std::move(in)), name_(std::move(name)), options_(options) {
  options_.read_chunk_bytes = std::clamp<size_t>(options_.read_chunk_bytes, 1, size_t{1} << 30);
  // Not filled: only what is read (and the padding after it) is ever
  // touched, so a small file costs a few pages of a large read chunk.
  capacity_ = options_.read_chunk_bytes;
  buf_.reset(new char[capacity_ + kPadding]);
  std::memset(buf_.get(), kSentinel, kPadding);
}

CsvReader::~CsvReader() = default;

StatusOr<std::unique_ptr<CsvReader>> CsvReader::Open(const std::string& path,
                                                     const CsvOptions& options) {
  auto in = OpenInputFile(path);
  if (!in.ok()) return in.status().WithContext(path);
  std::unique_ptr<CsvReader> reader(new CsvReader(std::move(in).value(), path, options));
  RETURN_IF_ERROR(reader->ReadHeader());
  return reader;
}

StatusOr<std::unique_ptr<CsvReader>> CsvReader::FromString(std::string data, std::string name,
                                                           const CsvOptions& options) {
  std::unique_ptr<CsvReader> reader(
      new CsvReader(InputFromString(std::move(data)), std::move(name), options));
  RETURN_IF_ERROR(reader->ReadHeader());
  return reader;
}

Status CsvReader::Fail(Status status) {
  error_ = status;
  return status;
}

Status CsvReader::ErrorAt(Status::Code code, int64_t line, size_t column,
                          std::string_view what) const {
  std::string msg =
      name_ + ": line " + std::to_string(line) + ", column " + std::to_string(column + 1);
  if (column < header_.size()) msg += " (" + Quote(header_[column]) + ")";
  msg += ": ";
  msg += what;
  return code == Status::Code::kResourceExhausted ? Status::ResourceExhausted(std::move(msg))
                                                  : Status::InvalidArgument(std::move(msg));
}

Status CsvReader::RowError(size_t column, std::string_view what) const {
  return ErrorAt(Status::Code::kInvalidArgument, row_line_, column, what);
}

Status CsvReader::Refill() {
  // The caps are checked before the buffer grows for the rest of a row.
  const size_t column = fields_.size();
  if (end_ - partial_field_begin_ > options_.max_field_bytes) {
    return ErrorAt(Status::Code::kResourceExhausted, line_, column,
                   "field of more than " + std::to_string(options_.max_field_bytes) +
                       " bytes (expected at most that)");
  }
  // - 1: a partial row may end with the CR of its CRLF.
  if (end_ - pos_ > 1 && end_ - pos_ - 1 > options_.max_row_bytes) {
    return ErrorAt(Status::Code::kResourceExhausted, line_, column,
                   "row of more than " + std::to_string(options_.max_row_bytes) +
                       " bytes (expected at most that)");
  }
  const size_t keep = end_ - pos_;
  if (pos_ > 0) {
    std::memmove(buf_.get(), buf_.get() + pos_, keep);
    partial_field_begin_ -= std::min(partial_field_begin_, pos_);
    pos_ = 0;
    end_ = keep;
  }
  size_t capacity = capacity_;
  if (capacity - end_ < capacity / 2 || capacity == end_) {
    // Room for the rest of a row up to the cap, plus one read.
    const size_t limit =
        static_cast<size_t>(std::min<uint64_t>(options_.max_row_bytes, uint64_t{1} << 40) +
                            options_.read_chunk_bytes + 4);
    capacity = std::min(std::max(capacity * 2, end_ + options_.read_chunk_bytes), limit);
    capacity = std::max(capacity, end_ + 1);
    std::unique_ptr<char[]> bigger(new char[capacity + kPadding]);
    std::memcpy(bigger.get(), buf_.get(), end_);
    buf_ = std::move(bigger);
    capacity_ = capacity;
  }
  const size_t want = capacity - end_;
  auto got = in_->Read(buf_.get() + end_, want);
  if (!got.ok()) return got.status().WithContext(name_ + ": line " + std::to_string(line_));
  end_ += *got;
  bytes_read_ += *got;
  // Only an empty read is the end: a gzip stream returns its good bytes
  // short of `want` before reporting the corruption after them.
  if (*got == 0) eof_ = true;
  std::memset(buf_.get() + end_, kSentinel, kPadding);  // what the 16-byte scans may load
  return Status::OK();
}

CsvReader::Parse CsvReader::ParseRecord(size_t max_fields) {
  char* const base = buf_.get();
  const char* const end = base + end_;
  fields_.clear();
  partial_field_begin_ = pos_;
  // Blank lines between records are skipped (TFX's skip_blank_lines); the
  // header is line 1 whatever it holds.
  while (!in_header_) {
    const char* p = base + pos_;
    if (p == end) break;
    if (*p == '\n') {
      ++pos_;
      ++line_;
    } else if (*p == '\r' && p + 1 < end && p[1] == '\n') {
      pos_ += 2;
      ++line_;
    } else if (*p == '\r' && p + 1 == end && !eof_) {
      return Parse::kNeedMore;
    } else {
      break;
    }
  }
  const char* p = base + pos_;
  if (p == end) {
    partial_field_begin_ = pos_;
    return eof_ ? Parse::kEnd : Parse::kNeedMore;
  }
  const char* const record = p;
  unescape_.clear();
  int64_t lines = 0;            // line breaks inside quotes so far
  const char* content_end = p;  // the record without its line break
  auto error = [&](Status::Code code, int64_t line, std::string_view what) {
    pending_ = ErrorAt(code, line, fields_.size(), what);
    return Parse::kError;
  };
  auto too_long = [&](size_t n) {
    return error(Status::Code::kResourceExhausted, line_ + lines,
                 "field of " + std::to_string(n) + " bytes (expected at most " +
                     std::to_string(options_.max_field_bytes) + ")");
  };
  for (;;) {
    // p: the start of a field.
    if (fields_.size() == max_fields) {
      if (in_header_) {
        return error(Status::Code::kResourceExhausted, line_ + lines,
                     "header of more than " + std::to_string(max_fields) +
                         " columns (expected at most that)");
      }
      return error(Status::Code::kInvalidArgument, line_ + lines,
                   "row has more fields than the header's " + std::to_string(max_fields) +
                       " (expected the same number in every row)");
    }
    partial_field_begin_ = static_cast<size_t>(p - base);
    const char* after;  // the byte after the field (and its closing quote)
    if (p < end && *p == '"') {
      const int64_t field_line = line_ + lines;
      const char* q = p + 1;
      bool unescape = false;
      for (;;) {
        q = ScanTo(q, true);
        if (q == end) {
          if (!eof_) return Parse::kNeedMore;
          return error(Status::Code::kInvalidArgument, field_line,
                       "unterminated quoted field (expected a closing '\"' before the end of "
                       "the file)");
        }
        if (*q == '\n') {
          ++lines;
          ++q;
        } else if (*q == '"') {
          if (q + 1 == end && !eof_) return Parse::kNeedMore;
          if (q + 1 < end && q[1] == '"') {
            unescape = true;
            q += 2;
          } else {
            break;  // the closing quote
          }
        } else {
          const int n = Utf8Length(q, end);
          if (n < 0 && !eof_) return Parse::kNeedMore;
          if (n <= 0) {
            return error(Status::Code::kInvalidArgument, line_ + lines,
                         "invalid UTF-8 (expected UTF-8 text, as TFX decodes it)");
          }
          q += n;
        }
      }
      const size_t raw = static_cast<size_t>(q + 1 - p);
      if (raw > options_.max_field_bytes) return too_long(raw);
      after = q + 1;
      if (after < end && *after != ',' && *after != '\n' && *after != '\r') {
        return error(Status::Code::kInvalidArgument, line_ + lines,
                     "text after the closing quote of a quoted field (expected ',' or the end "
                     "of the line)");
      }
      if (unescape) unescape_.push_back(fields_.size());
      fields_.emplace_back(p + 1, static_cast<size_t>(q - (p + 1)));
    } else {
      const char* q = p;
      for (;;) {
        q = ScanTo(q, false);
        if (q == end) break;
        const uint8_t c = static_cast<uint8_t>(*q);
        if (c < 0x80) {
          if (c == '"') {
            return error(Status::Code::kInvalidArgument, line_ + lines,
                         "'\"' inside an unquoted field (expected the whole field in quotes, "
                         "with '\"\"' for each '\"')");
          }
          break;
        }
        const int n = Utf8Length(q, end);
        if (n < 0 && !eof_) return Parse::kNeedMore;
        if (n <= 0) {
          return error(Status::Code::kInvalidArgument, line_ + lines,
                       "invalid UTF-8 (expected UTF-8 text, as TFX decodes it)");
        }
        q += n;
      }
      if (q == end && !eof_) return Parse::kNeedMore;
      const size_t raw = static_cast<size_t>(q - p);
      if (raw > options_.max_field_bytes) return too_long(raw);
      fields_.emplace_back(p, raw);
      after = q;
    }
    // after: ',', '\n', '\r' or the end of the data.
    content_end = after;
    if (after == end) {
      if (!eof_) return Parse::kNeedMore;
      p = after;
      break;
    }
    if (*after == ',') {
      p = after + 1;
      continue;
    }
    if (*after == '\n') {
      p = after + 1;
      ++lines;
      break;
    }
    // '\r'
    if (after + 1 == end && !eof_) return Parse::kNeedMore;
    if (after + 1 == end || after[1] != '\n') {
      fields_.pop_back();  // the error is in the field the CR ends
      return error(Status::Code::kInvalidArgument, line_ + lines,
                   "carriage return without a line feed outside quotes (expected CRLF or LF "
                   "line breaks, or the field in quotes)");
    }
    p = after + 2;
    ++lines;
    break;
  }
  const size_t record_bytes = static_cast<size_t>(content_end - record);
  if (record_bytes > options_.max_row_bytes) {
    pending_ = ErrorAt(Status::Code::kResourceExhausted, line_, 0,
                       "row of " + std::to_string(record_bytes) + " bytes (expected at most " +
                           std::to_string(options_.max_row_bytes) + ")");
    return Parse::kError;
  }
  // The record is whole: unquote the fields with "" in place.
  for (size_t i : unescape_) {
    char* const b = base + (fields_[i].data() - base);
    const char* const e = b + fields_[i].size();
    char* w = b;
    for (const char* r = b; r < e;) {
      const char c = *r++;
      *w++ = c;
      if (c == '"') ++r;  // the second quote of ""
    }
    fields_[i] = std::string_view(b, static_cast<size_t>(w - b));
  }
  row_line_ = line_;
  line_ += lines;
  pos_ = static_cast<size_t>(p - base);
  return Parse::kRow;
}

StatusOr<bool> CsvReader::NextRecord(size_t max_fields) {
  for (;;) {
    switch (ParseRecord(max_fields)) {
      case Parse::kRow:
        return true;
      case Parse::kEnd:
        return false;
      case Parse::kError:
        return Fail(pending_);
      case Parse::kNeedMore: {
        Status st = Refill();
        if (!st.ok()) return Fail(st);
        break;
      }
    }
  }
}

Status CsvReader::ReadHeader() {
  // A UTF-8 byte order mark (as Excel writes) is not part of the first name.
  while (end_ < 3 && !eof_) {
    Status st = Refill();
    if (!st.ok()) return Fail(st);
  }
  if (end_ >= 3 && std::memcmp(buf_.get(), "\xEF\xBB\xBF", 3) == 0) pos_ = 3;
  ASSIGN_OR_RETURN(bool any, NextRecord(std::max<size_t>(options_.max_columns, 1)));
  if (!any) {
    return Fail(ErrorAt(Status::Code::kInvalidArgument, 1, 0,
                        "empty file (expected a header row naming the columns)"));
  }
  std::unordered_map<std::string_view, size_t> seen;
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].empty()) {
      return Fail(ErrorAt(Status::Code::kInvalidArgument, row_line_, i,
                          "empty header name (expected a name for every column)"));
    }
    auto [it, inserted] = seen.emplace(fields_[i], i);
    if (!inserted) {
      return Fail(ErrorAt(Status::Code::kInvalidArgument, row_line_, i,
                          "duplicate header name " + Quote(fields_[i]) + " (also column " +
                              std::to_string(it->second + 1) + "; expected unique names)"));
    }
  }
  header_.assign(fields_.begin(), fields_.end());
  in_header_ = false;
  return Status::OK();
}

StatusOr<bool> CsvReader::ReadRow() {
  if (!error_.ok()) return error_;
  ASSIGN_OR_RETURN(bool more, NextRecord(header_.size()));
  if (!more) return false;
  if (fields_.size() != header_.size()) {
    return Fail(RowError(fields_.size(), "row ends after " + std::to_string(fields_.size()) +
                                             " field" + (fields_.size() == 1 ? "" : "s") +
                                             " (expected the header's " +
                                             std::to_string(header_.size()) + ")"));
  }
  ++rows_read_;
  return true;
}

// ---- types -----------------------------------------------------------------

const char* CsvTypeName(CsvType type) {
  switch (type) {
    case CsvType::kUnknown:
      return "UNKNOWN";
    case CsvType::kInt:
      return "INT";
    case CsvType::kFloat:
      return "FLOAT";
    case CsvType::kBytes:
      return "BYTES";
  }
  return "?";
}

CsvIntParse ParseCsvInt(std::string_view text, int64_t* value) {
  std::string_view s = StripSpaces(text);
  bool negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return CsvIntParse::kNotInt;
  uint64_t magnitude = 0;
  bool overflow = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (IsDigit(c)) {
      const uint64_t d = static_cast<uint64_t>(c - '0');
      if (magnitude > (std::numeric_limits<uint64_t>::max() - d) / 10) {
        overflow = true;
      } else if (!overflow) {
        magnitude = magnitude * 10 + d;
      }
    } else if (!(c == '_' && i > 0 && IsDigit(s[i - 1]) && i + 1 < s.size() && IsDigit(s[i + 1]))) {
      return CsvIntParse::kNotInt;
    }
  }
  if (!IsDigit(s.front())) return CsvIntParse::kNotInt;
  constexpr uint64_t kMinMagnitude = uint64_t{1} << 63;
  if (overflow || magnitude > (negative ? kMinMagnitude : kMinMagnitude - 1)) {
    return CsvIntParse::kOutOfRange;
  }
  *value = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return CsvIntParse::kOk;
}

namespace {

enum class FloatForm { kInvalid, kNumber, kInf, kNan };

// Python's float() grammar on `text`: ASCII whitespace around, a sign, then
// inf / infinity / nan in any case, or digits [. [digits]] | . digits with an
// optional exponent, '_' only between digits. *number is the text after the
// sign; *underscore says whether it holds '_'.
FloatForm CheckFloat(std::string_view text, bool* negative, std::string_view* number,
                     bool* underscore) {
  std::string_view s = StripSpaces(text);
  *negative = false;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    *negative = s.front() == '-';
    s.remove_prefix(1);
  }
  *number = s;
  if (s.empty()) return FloatForm::kInvalid;
  if (!IsDigit(s.front()) && s.front() != '.') {
    if (EqualsIgnoreCase(s, "inf") || EqualsIgnoreCase(s, "infinity")) return FloatForm::kInf;
    if (EqualsIgnoreCase(s, "nan")) return FloatForm::kNan;
    return FloatForm::kInvalid;
  }
  size_t i = 0;
  *underscore = false;
  const bool int_digits = ScanDigits(s, &i, underscore);
  bool frac_digits = false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    frac_digits = ScanDigits(s, &i, underscore);
  }
  if (!int_digits && !frac_digits) return FloatForm::kInvalid;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!ScanDigits(s, &i, underscore)) return FloatForm::kInvalid;
  }
  return i == s.size() ? FloatForm::kNumber : FloatForm::kInvalid;
}

}  // namespace

std::optional<double> ParseCsvFloat(std::string_view text) {
  bool negative = false, underscore = false;
  std::string_view s;
  const FloatForm form = CheckFloat(text, &negative, &s, &underscore);
  const double sign = negative ? -1.0 : 1.0;
  switch (form) {
    case FloatForm::kInvalid:
      return std::nullopt;
    case FloatForm::kInf:
      return sign * std::numeric_limits<double>::infinity();
    case FloatForm::kNan:
      return std::copysign(std::numeric_limits<double>::quiet_NaN(), sign);
    case FloatForm::kNumber:
      break;
  }
  std::string cleaned;
  if (underscore) {
    cleaned.reserve(s.size());
    for (char c : s) {
      if (c != '_') cleaned += c;
    }
    s = cleaned;
  }
  double value = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves overflow (inf in Python) and underflow to zero (0.0
    // in Python) unset. Which one: the decimal exponent of the leading
    // nonzero digit, beyond +308 for overflow and below -323 for underflow.
    size_t j = 0;
    int64_t int_digits_from_nonzero = 0;
    bool nonzero_int = false;
    for (; j < s.size() && IsDigit(s[j]); ++j) {
      nonzero_int = nonzero_int || s[j] != '0';
      if (nonzero_int) ++int_digits_from_nonzero;
    }
    int64_t frac_leading_zeros = 0;
    if (j < s.size() && s[j] == '.') {
      bool nonzero = false;
      for (++j; j < s.size() && IsDigit(s[j]); ++j) {
        nonzero = nonzero || s[j] != '0';
        if (!nonzero) ++frac_leading_zeros;
      }
    }
    int64_t exponent = 0;
    if (j < s.size()) {  // 'e' or 'E'
      bool exp_negative = false;
      if (++j < s.size() && (s[j] == '+' || s[j] == '-')) exp_negative = s[j++] == '-';
      for (; j < s.size(); ++j) exponent = std::min<int64_t>(exponent * 10 + (s[j] - '0'), 1 << 30);
      if (exp_negative) exponent = -exponent;
    }
    const int64_t magnitude =
        nonzero_int ? exponent + int_digits_from_nonzero : exponent - frac_leading_zeros;
    value = magnitude > 0 ? std::numeric_limits<double>::infinity() : 0.0;
  } else if (ec != std::errc() || ptr != s.data() + s.size()) {
    return std::nullopt;
  }
  return sign * value;
}

CsvType InferCsvValueType(std::string_view value) {
  if (value.empty()) return CsvType::kUnknown;
  // The common spellings first, in one scan: [-]digits (up to 18, so no
  // overflow) is INT, [-]digits.digits is FLOAT. Anything else (spaces,
  // '+', '_', exponents, long numbers, words) takes the general path.
  {
    size_t i = value[0] == '-' ? 1 : 0;
    const size_t int_start = i;
    while (i < value.size() && IsDigit(value[i])) ++i;
    const size_t int_digits = i - int_start;
    if (i == value.size() && int_digits > 0 && int_digits <= 18) return CsvType::kInt;
    if (int_digits > 0 && i < value.size() && value[i] == '.') {
      const size_t frac_start = ++i;
      while (i < value.size() && IsDigit(value[i])) ++i;
      if (i == value.size() && i > frac_start) return CsvType::kFloat;
    }
  }
  int64_t unused;
  switch (ParseCsvInt(value, &unused)) {
    case CsvIntParse::kOk:
      return CsvType::kInt;
    case CsvIntParse::kOutOfRange:
      return CsvType::kBytes;  // tfx_bsl: "long integer values" are STRING
    case CsvIntParse::kNotInt:
      break;
  }
  // float() never fails on range (1e999 is inf), so the grammar decides.
  bool negative = false, underscore = false;
  std::string_view number;
  return CheckFloat(value, &negative, &number, &underscore) != FloatForm::kInvalid
             ? CsvType::kFloat
             : CsvType::kBytes;
}

float CsvDoubleToFloat(double value) {
  if (value > FLT_MAX) return std::numeric_limits<float>::infinity();
  if (value < -FLT_MAX) return -std::numeric_limits<float>::infinity();
  return static_cast<float>(value);
}

void UpdateCsvTypes(const std::vector<std::string_view>& row, std::vector<CsvType>* types) {
  const size_t n = std::min(row.size(), types->size());
  for (size_t i = 0; i < n; ++i) {
    CsvType& t = (*types)[i];
    if (t == CsvType::kBytes || row[i].empty()) continue;
    t = std::max(t, InferCsvValueType(row[i]));
  }
}

StatusOr<CsvColumns> InferCsvColumns(const std::vector<std::string>& paths,
                                     const CsvOptions& options, CsvRowShard shard) {
  if (paths.empty()) return Status::InvalidArgument("InferCsvColumns: no files");
  if (shard.count < 1 || shard.index < 0 || shard.index >= shard.count) {
    return Status::InvalidArgument("InferCsvColumns: row shard " + std::to_string(shard.index) +
                                   " of " + std::to_string(shard.count) +
                                   " (expected 0 <= index < count)");
  }
  CsvColumns columns;
  for (size_t f = 0; f < paths.size(); ++f) {
    ASSIGN_OR_RETURN(auto reader, CsvReader::Open(paths[f], options));
    const std::vector<std::string>& header = reader->header();
    if (f == 0) {
      columns.names = header;
      columns.types.assign(header.size(), CsvType::kUnknown);
    } else if (header != columns.names) {
      size_t c = 0;
      while (c < header.size() && c < columns.names.size() && header[c] == columns.names[c]) ++c;
      auto name_at = [](const std::vector<std::string>& h, size_t i) {
        return i < h.size() ? Quote(h[i]) : std::string("none");
      };
      return Status::InvalidArgument(paths[f] + ": header differs from " + paths[0] +
                                     "'s (column " + std::to_string(c + 1) + ": " +
                                     name_at(header, c) + " here, " + name_at(columns.names, c) +
                                     " there; expected the same header in every file of a split)");
    }
    for (;;) {
      ASSIGN_OR_RETURN(bool more, reader->ReadRow());
      if (!more) break;
      if (columns.rows++ % shard.count == shard.index) {
        UpdateCsvTypes(reader->row(), &columns.types);
      }
    }
  }
  return columns;
}

// ---- examples --------------------------------------------------------------

CsvExampleBuilder::CsvExampleBuilder(const CsvColumns& columns) : types_(columns.types) {
  auto& map = *example_.mutable_features()->mutable_feature();
  for (size_t i = 0; i < columns.names.size(); ++i) {
    tensorflow::Feature& f = map[columns.names[i]];
    switch (types_[i]) {
      case CsvType::kInt:
        f.mutable_int64_list();
        break;
      case CsvType::kFloat:
        f.mutable_float_list();
        break;
      case CsvType::kBytes:
        f.mutable_bytes_list();
        break;
      case CsvType::kUnknown:
        break;  // TFX: tf.train.Feature() with no kind
    }
    features_.push_back(&f);
  }
}

Status CsvExampleBuilder::FromRow(const CsvReader& reader) {
  const std::vector<std::string_view>& row = reader.row();
  if (row.size() != features_.size()) {
    return reader.RowError(std::min(row.size(), features_.size()),
                           std::to_string(row.size()) + " fields for " +
                               std::to_string(features_.size()) + " columns");
  }
  for (size_t i = 0; i < row.size(); ++i) {
    const std::string_view v = row[i];
    tensorflow::Feature& f = *features_[i];
    auto contradiction = [&] {
      return reader.RowError(i, "value " + Quote(v) + " is not " + CsvTypeName(types_[i]) +
                                    " (expected the column's inferred type)");
    };
    switch (types_[i]) {
      case CsvType::kInt: {
        auto* values = f.mutable_int64_list()->mutable_value();
        values->Clear();
        if (v.empty()) break;
        int64_t x;
        if (ParseCsvInt(v, &x) != CsvIntParse::kOk) return contradiction();
        values->Add(x);
        break;
      }
      case CsvType::kFloat: {
        auto* values = f.mutable_float_list()->mutable_value();
        values->Clear();
        if (v.empty()) break;
        std::optional<double> x = ParseCsvFloat(v);
        if (!x.has_value()) return contradiction();
        values->Add(CsvDoubleToFloat(*x));
        break;
      }
      case CsvType::kBytes: {
        auto* values = f.mutable_bytes_list()->mutable_value();
        values->Clear();  // keeps the string for reuse
        if (!v.empty()) values->Add()->assign(v.data(), v.size());
        break;
      }
      case CsvType::kUnknown:
        if (!v.empty()) {
          return reader.RowError(i, "value " + Quote(v) +
                                        " in a column of type UNKNOWN (expected no value: the "
                                        "column was empty in every row when types were inferred)");
        }
        break;
    }
  }
  return Status::OK();
}

}  // namespace edgepipe::io
