#include "src/io/csv.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "src/core/files.h"
#include "src/io/byte_stream.h"
#include "src/io/example.h"
#include "tests/support/temp_dir.h"

namespace edgepipe::io {
namespace {

using Rows = std::vector<std::vector<std::string>>;

struct ReadResult {
  std::vector<std::string> header;
  Rows rows;
  std::vector<int64_t> lines;
  Status status;  // of Open or of the first failing ReadRow
};

ReadResult ReadCsv(const std::string& data, const CsvOptions& options = {},
                   const std::string& name = "t.csv") {
  ReadResult out;
  auto reader = CsvReader::FromString(data, name, options);
  if (!reader.ok()) {
    out.status = reader.status();
    return out;
  }
  out.header = (*reader)->header();
  for (;;) {
    auto more = (*reader)->ReadRow();
    if (!more.ok()) {
      out.status = more.status();
      break;
    }
    if (!*more) break;
    out.rows.emplace_back((*reader)->row().begin(), (*reader)->row().end());
    out.lines.push_back((*reader)->row_line());
  }
  return out;
}

// The error of reading `data`, which must fail.
Status CsvError(const std::string& data, const CsvOptions& options = {}) {
  ReadResult r = ReadCsv(data, options);
  EXPECT_FALSE(r.status.ok()) << "expected an error reading: " << data;
  return r.status;
}

// ---- the format ------------------------------------------------------------

TEST(CsvReaderTest, ReadsHeaderAndRows) {
  ReadResult r = ReadCsv("species,island,bill_length_mm\nAdelie,Torgersen,39.1\nGentoo,Biscoe,\n");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.header, (std::vector<std::string>{"species", "island", "bill_length_mm"}));
  EXPECT_EQ(r.rows, (Rows{{"Adelie", "Torgersen", "39.1"}, {"Gentoo", "Biscoe", ""}}));
  EXPECT_EQ(r.lines, (std::vector<int64_t>{2, 3}));
}

TEST(CsvReaderTest, CrlfLfAndNoFinalLineBreakReadTheSame) {
  const Rows want = {{"1", "x"}, {"2", ""}, {"", "z"}};
  for (const std::string data :
       {"a,b\n1,x\n2,\n,z\n", "a,b\r\n1,x\r\n2,\r\n,z\r\n", "a,b\n1,x\n2,\n,z",
        "a,b\r\n1,x\r\n2,\r\n,z", "a,b\r\n1,x\n2,\r\n,z"}) {
    ReadResult r = ReadCsv(data);
    ASSERT_TRUE(r.status.ok()) << r.status.message();
    EXPECT_EQ(r.header, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(r.rows, want) << data;
  }
}

TEST(CsvReaderTest, LastFieldEmptyAtEndOfFile) {
  ReadResult r = ReadCsv("a,b\n1,");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.rows, (Rows{{"1", ""}}));
}

TEST(CsvReaderTest, QuotedFieldsKeepCommasQuotesAndLineBreaks) {
  ReadResult r = ReadCsv(
      "name,\"note, with comma\"\n"
      "\"Smith, J.\",\"said \"\"hi\"\"\"\n"
      "\"two\nlines\",\"crlf\r\ninside\"\n"
      "\"\",\"\"\"\"\n"
      "last,row\n");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.header, (std::vector<std::string>{"name", "note, with comma"}));
  EXPECT_EQ(r.rows, (Rows{{"Smith, J.", "said \"hi\""},
                          {"two\nlines", "crlf\r\ninside"},
                          {"", "\""},
                          {"last", "row"}}));
  // A row's line is where it starts; line breaks inside quotes count.
  EXPECT_EQ(r.lines, (std::vector<int64_t>{2, 3, 6, 7}));
}

TEST(CsvReaderTest, Utf8ByteOrderMarkIsSkippedAndUtf8Kept) {
  ReadResult r = ReadCsv("\xEF\xBB\xBFname,city\nJos\xC3\xA9,\xE6\x9D\xB1\xE4\xBA\xAC\n");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.header, (std::vector<std::string>{"name", "city"}));
  EXPECT_EQ(r.rows, (Rows{{"Jos\xC3\xA9", "\xE6\x9D\xB1\xE4\xBA\xAC"}}));
}

TEST(CsvReaderTest, BlankLinesAreSkippedAsTfxDoes) {
  ReadResult r = ReadCsv("a\n\n1\r\n\r\n\n2\n\n");
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.rows, (Rows{{"1"}, {"2"}}));
  EXPECT_EQ(r.lines, (std::vector<int64_t>{3, 6}));
  // A quoted empty field is a value, not a blank line.
  r = ReadCsv("a\n\"\"\n");
  EXPECT_EQ(r.rows, (Rows{{""}}));
}

TEST(CsvReaderTest, HeaderOnlyFileHasNoRows) {
  ReadResult r = ReadCsv("a,b\n");
  ASSERT_TRUE(r.status.ok());
  EXPECT_TRUE(r.rows.empty());
}

// Every way a record, a field, a quote pair, a CRLF, a UTF-8 character or the
// BOM can be cut by the end of a read gives the same rows as one big read.
TEST(CsvReaderTest, EveryReadBoundaryGivesTheSameRows) {
  const std::string data =
      "\xEF\xBB\xBFh1,\"h,2\",h3\r\n"
      "1,\"a \"\"quoted\"\" word\",\xC3\xA9\xE6\x9D\xB1\xF0\x9F\x98\x80\r\n"
      "\r\n"
      "2.5,\"multi\r\nline\",\r\n"
      "-3,,\"\"\n"
      "x,y,\"end\"";
  const ReadResult whole = ReadCsv(data);
  ASSERT_TRUE(whole.status.ok()) << whole.status.message();
  ASSERT_EQ(whole.rows.size(), 4u);
  for (size_t chunk = 1; chunk <= data.size() + 1; ++chunk) {
    ReadResult r = ReadCsv(data, {.read_chunk_bytes = chunk});
    ASSERT_TRUE(r.status.ok()) << "chunk " << chunk << ": " << r.status.message();
    EXPECT_EQ(r.header, whole.header) << "chunk " << chunk;
    EXPECT_EQ(r.rows, whole.rows) << "chunk " << chunk;
    EXPECT_EQ(r.lines, whole.lines) << "chunk " << chunk;
  }
}

TEST(CsvReaderTest, OpenReadsPlainAndGzipFiles) {
  const std::string dir = testing::FreshTempDir("csv_open");
  const std::string data = "a,b\n1,\"x\ny\"\n";
  ASSERT_TRUE(WriteFileAtomic(JoinPath(dir, "plain.csv"), data).ok());
  ASSERT_TRUE(WriteFileAtomic(JoinPath(dir, "packed.csv.gz"), GzipCompress(data)).ok());
  for (const std::string name : {"plain.csv", "packed.csv.gz"}) {
    auto reader = CsvReader::Open(JoinPath(dir, name));
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    auto more = (*reader)->ReadRow();
    ASSERT_TRUE(more.ok() && *more);
    EXPECT_EQ((*reader)->row(), (std::vector<std::string_view>{"1", "x\ny"}));
    EXPECT_FALSE(*(*reader)->ReadRow());
    EXPECT_EQ((*reader)->bytes_read(), data.size());
  }
}

TEST(CsvReaderTest, BrokenGzipIsAnErrorWhateverTheReadSize) {
  std::string data = GzipCompress("a,b\n1,2\n3,4\n");
  data[data.size() - 8] ^= 1;  // the CRC of the trailer, after all the (good) data
  for (size_t chunk : {size_t{1} << 20, size_t{1}, size_t{5}}) {
    ReadResult r = ReadCsv(data, {.read_chunk_bytes = chunk});
    EXPECT_EQ(r.status.code(), Status::Code::kCorruption) << chunk;
    EXPECT_TRUE(r.status.message().starts_with("t.csv: line ")) << r.status.message();
  }
}

TEST(CsvReaderTest, MissingFileIsNotFoundNamingIt) {
  auto reader = CsvReader::Open("/nonexistent/penguins.csv");
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.status().code(), Status::Code::kNotFound);
  EXPECT_TRUE(reader.status().message().starts_with("/nonexistent/penguins.csv: "))
      << reader.status().message();
}

// ---- one test per error: file, line and column in the message --------------

TEST(CsvErrorTest, RowWithTooFewFields) {
  Status s = CsvError("a,b,c\n1,2,3\n4,5\n");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "t.csv: line 3, column 3 (\"c\"): row ends after 2 fields (expected the header's 3)");
}

TEST(CsvErrorTest, RowWithTooManyFields) {
  Status s = CsvError("a,b\n1,2\n3,4,5\n");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "t.csv: line 3, column 3: row has more fields than the header's 2 (expected the same "
            "number in every row)");
}

TEST(CsvErrorTest, UnterminatedQuoteNamesWhereTheFieldStarts) {
  Status s = CsvError("a,b\n1,2\n3,\"open\nstill open\n");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "t.csv: line 3, column 2 (\"b\"): unterminated quoted field (expected a closing '\"' "
            "before the end of the file)");
}

TEST(CsvErrorTest, QuoteInsideUnquotedField) {
  Status s = CsvError("a,b\n1,2\n3,4\"5\n");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "t.csv: line 3, column 2 (\"b\"): '\"' inside an unquoted field (expected the whole "
            "field in quotes, with '\"\"' for each '\"')");
}

TEST(CsvErrorTest, TextAfterClosingQuote) {
  Status s = CsvError("a,b\n\"x\"y,2\n");
  EXPECT_EQ(s.message(),
            "t.csv: line 2, column 1 (\"a\"): text after the closing quote of a quoted field "
            "(expected ',' or the end of the line)");
}

TEST(CsvErrorTest, CarriageReturnWithoutLineFeed) {
  Status s = CsvError("a,b\n1,2\r3,4\n");
  EXPECT_EQ(s.message(),
            "t.csv: line 2, column 2 (\"b\"): carriage return without a line feed outside quotes "
            "(expected CRLF or LF line breaks, or the field in quotes)");
}

TEST(CsvErrorTest, InvalidUtf8NamesTheLineInsideQuotes) {
  // A lone continuation byte, an overlong encoding, a surrogate, a cut sequence.
  for (const std::string bad : {"\x80", "\xC0\xAF", "\xED\xA0\x80", "\xE6\x9D"}) {
    Status s = CsvError("a,b\n1,\"x\ny" + bad + "\"\n");
    EXPECT_EQ(s.message(),
              "t.csv: line 3, column 2 (\"b\"): invalid UTF-8 (expected UTF-8 text, "
              "as TFX decodes it)");
    s = CsvError("a,b\n1,x" + bad);
    EXPECT_EQ(s.message(),
              "t.csv: line 2, column 2 (\"b\"): invalid UTF-8 (expected UTF-8 text, "
              "as TFX decodes it)");
  }
}

TEST(CsvErrorTest, EmptyFile) {
  for (const std::string data : {"", "\xEF\xBB\xBF"}) {
    Status s = CsvError(data);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(s.message(),
              "t.csv: line 1, column 1: empty file (expected a header row naming the columns)");
  }
}

TEST(CsvErrorTest, EmptyHeaderName) {
  EXPECT_EQ(CsvError("a,,c\n1,2,3\n").message(),
            "t.csv: line 1, column 2: empty header name (expected a name for every column)");
  EXPECT_EQ(CsvError("\na\n1\n").message(),
            "t.csv: line 1, column 1: empty header name (expected a name for every column)");
}

TEST(CsvErrorTest, DuplicateHeaderName) {
  EXPECT_EQ(CsvError("a,b,\"a\"\n").message(),
            "t.csv: line 1, column 3: duplicate header name \"a\" (also column 1; expected unique "
            "names)");
}

TEST(CsvErrorTest, FieldLargerThanTheCap) {
  // Within one read and across reads (the cap is checked before growing).
  for (size_t chunk : {size_t{1} << 20, size_t{4}}) {
    const CsvOptions options = {.max_field_bytes = 8, .read_chunk_bytes = chunk};
    EXPECT_TRUE(ReadCsv("a,b\n1,12345678\n", options).status.ok());
    Status s = CsvError("a,b\n1,123456789\n", options);
    EXPECT_EQ(s.code(), Status::Code::kResourceExhausted);
    EXPECT_TRUE(s.message().starts_with("t.csv: line 2, column 2 (\"b\"): field of "))
        << s.message();
    EXPECT_NE(s.message().find("8"), std::string::npos);
    // Quoted: the quotes count.
    s = CsvError("a,b\n1,\"1234567\"\n", options);
    EXPECT_TRUE(s.message().starts_with("t.csv: line 2, column 2 (\"b\"): field of "))
        << s.message();
  }
}

TEST(CsvErrorTest, RowLargerThanTheCap) {
  for (size_t chunk : {size_t{1} << 20, size_t{3}}) {
    const CsvOptions options = {.max_row_bytes = 10, .read_chunk_bytes = chunk};
    EXPECT_TRUE(ReadCsv("a,b\n1234,56789\r\n", options).status.ok());
    Status s = CsvError("a,b\n1,2\n1234,567890\n", options);
    EXPECT_EQ(s.code(), Status::Code::kResourceExhausted);
    EXPECT_TRUE(s.message().starts_with("t.csv: line 3, column ")) << s.message();
    EXPECT_NE(s.message().find("row of "), std::string::npos) << s.message();
  }
}

TEST(CsvErrorTest, HeaderWithMoreColumnsThanTheCap) {
  Status s = CsvError("a,b,c,d\n", {.max_columns = 3});
  EXPECT_EQ(s.code(), Status::Code::kResourceExhausted);
  EXPECT_EQ(s.message(),
            "t.csv: line 1, column 4: header of more than 3 columns (expected at most that)");
}

TEST(CsvErrorTest, ErrorsAreSticky) {
  auto reader = CsvReader::FromString("a\n\"x\"y\n1\n", "t.csv");
  ASSERT_TRUE(reader.ok());
  auto first = (*reader)->ReadRow();
  ASSERT_FALSE(first.ok());
  auto again = (*reader)->ReadRow();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().message(), first.status().message());
}

TEST(CsvErrorTest, HeadersDifferingBetweenFilesNameBoth) {
  const std::string dir = testing::FreshTempDir("csv_headers");
  const std::string a = JoinPath(dir, "a.csv"), b = JoinPath(dir, "b.csv");
  ASSERT_TRUE(WriteFileAtomic(a, "x,y\n1,2\n").ok());
  ASSERT_TRUE(WriteFileAtomic(b, "x,z\n1,2\n").ok());
  auto columns = InferCsvColumns({a, b});
  ASSERT_FALSE(columns.ok());
  EXPECT_EQ(columns.status().message(),
            b + ": header differs from " + a +
                "'s (column 2: \"z\" here, \"y\" there; expected the same header in every file "
                "of a split)");
}

// ---- tfx_bsl's type inference ----------------------------------------------

TEST(CsvTypeTest, IntIsWhatPythonIntReadsWithinInt64) {
  struct Case {
    std::string text;
    CsvIntParse want;
    int64_t value;
  };
  const std::vector<Case> cases = {
      {"0", CsvIntParse::kOk, 0},
      {"-17", CsvIntParse::kOk, -17},
      {"+5", CsvIntParse::kOk, 5},
      {" 42\t", CsvIntParse::kOk, 42},
      {"007", CsvIntParse::kOk, 7},
      {"1_000_000", CsvIntParse::kOk, 1000000},
      {"9223372036854775807", CsvIntParse::kOk, std::numeric_limits<int64_t>::max()},
      {"-9223372036854775808", CsvIntParse::kOk, std::numeric_limits<int64_t>::min()},
      {"9223372036854775808", CsvIntParse::kOutOfRange, 0},
      {"-9223372036854775809", CsvIntParse::kOutOfRange, 0},
      {"123456789012345678901234567890", CsvIntParse::kOutOfRange, 0},
      {"", CsvIntParse::kNotInt, 0},
      {" ", CsvIntParse::kNotInt, 0},
      {"-", CsvIntParse::kNotInt, 0},
      {"1.0", CsvIntParse::kNotInt, 0},
      {"1e3", CsvIntParse::kNotInt, 0},
      {"0x10", CsvIntParse::kNotInt, 0},
      {"_1", CsvIntParse::kNotInt, 0},
      {"1_", CsvIntParse::kNotInt, 0},
      {"1__0", CsvIntParse::kNotInt, 0},
      {"- 1", CsvIntParse::kNotInt, 0},
      {"1 2", CsvIntParse::kNotInt, 0},
  };
  for (const Case& c : cases) {
    int64_t v = 0;
    EXPECT_EQ(ParseCsvInt(c.text, &v), c.want) << c.text;
    if (c.want == CsvIntParse::kOk) {
      EXPECT_EQ(v, c.value) << c.text;
    }
  }
}

TEST(CsvTypeTest, FloatIsWhatPythonFloatReads) {
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::pair<std::string, double>> ok = {
      {"1.5", 1.5},    {"-0.25", -0.25},     {".5", 0.5},      {"5.", 5.0},        {"1e3", 1000.0},
      {"1E-3", 0.001}, {"+2.5e+2", 250.0},   {" 3.25 ", 3.25}, {"1_0.5", 10.5},    {"1e1_0", 1e10},
      {"inf", inf},    {"-Infinity", -inf},  {"+INF", inf},    {"1e400", inf},     {"-1e400", -inf},
      {"1e-400", 0.0}, {"0.0001e-320", 0.0}, {"12", 12.0},     {"1e-310", 1e-310},
  };
  for (const auto& [text, want] : ok) {
    std::optional<double> got = ParseCsvFloat(text);
    ASSERT_TRUE(got.has_value()) << text;
    EXPECT_EQ(*got, want) << text;
  }
  for (const std::string text : {"nan", "NaN", "-nan", "+nAn"}) {
    std::optional<double> got = ParseCsvFloat(text);
    ASSERT_TRUE(got.has_value()) << text;
    EXPECT_TRUE(std::isnan(*got)) << text;
    EXPECT_EQ(std::signbit(*got), text[0] == '-') << text;
  }
  for (const std::string text : {"", ".", "e5", "1e", "1.2.3", "0x1p3", "nan(1)", "infinit", "1_",
                                 "_1", "1._5", "1__0", "1 e5", "abc", "--1"}) {
    EXPECT_FALSE(ParseCsvFloat(text).has_value()) << text;
  }
}

TEST(CsvTypeTest, ValueTypesFollowTfxBsl) {
  const std::vector<std::pair<std::string, CsvType>> cases = {
      {"", CsvType::kUnknown},
      {"1", CsvType::kInt},
      {" -3 ", CsvType::kInt},
      {"1_000", CsvType::kInt},
      {"1.5", CsvType::kFloat},
      {"1e5", CsvType::kFloat},
      {"nan", CsvType::kFloat},
      {"-inf", CsvType::kFloat},
      {"1e999", CsvType::kFloat},
      // An integer beyond int64 is STRING in tfx_bsl, not FLOAT.
      {"9223372036854775808", CsvType::kBytes},
      {"abc", CsvType::kBytes},
      {" ", CsvType::kBytes},
      {"0x10", CsvType::kBytes},
      {"1,5", CsvType::kBytes},
  };
  for (const auto& [text, want] : cases) {
    EXPECT_EQ(InferCsvValueType(text), want)
        << text << ": " << CsvTypeName(InferCsvValueType(text));
  }
}

TEST(CsvTypeTest, ColumnTypeIsTheHighestOfItsValues) {
  const std::string dir = testing::FreshTempDir("csv_infer");
  const std::string a = JoinPath(dir, "a.csv"), b = JoinPath(dir, "b.csv");
  ASSERT_TRUE(WriteFileAtomic(a, "i,f,s,e,big,mixed\n1,2,x,,1,1\n,3.5,,,2,\n").ok());
  ASSERT_TRUE(WriteFileAtomic(b, "i,f,s,e,big,mixed\n-4,,7,,99999999999999999999,2.0\n").ok());
  auto columns = InferCsvColumns({a, b});
  ASSERT_TRUE(columns.ok()) << columns.status().message();
  EXPECT_EQ(columns->names, (std::vector<std::string>{"i", "f", "s", "e", "big", "mixed"}));
  EXPECT_EQ(columns->types,
            (std::vector<CsvType>{CsvType::kInt, CsvType::kFloat, CsvType::kBytes,
                                  CsvType::kUnknown, CsvType::kBytes, CsvType::kFloat}));
}

// A row shard types only its rows (0-based over the files in order) but
// reads and counts them all; the maximum over the shards is the whole's.
TEST(CsvTypeTest, RowShardsTypeTheirRowsAndMergeToTheWhole) {
  const std::string dir = testing::FreshTempDir("csv_infer_shards");
  const std::string a = JoinPath(dir, "a.csv"), b = JoinPath(dir, "b.csv");
  // Rows 0..3: "f" is FLOAT only in row 1, "s" BYTES only in row 2, "e"
  // set only in row 3.
  ASSERT_TRUE(WriteFileAtomic(a, "i,f,s,e\n1,2,3,\n4,5.5,6,\n").ok());
  ASSERT_TRUE(WriteFileAtomic(b, "i,f,s,e\n7,8,x,\n9,10,11,12\n").ok());
  const auto whole = InferCsvColumns({a, b});
  ASSERT_TRUE(whole.ok()) << whole.status().message();
  EXPECT_EQ(whole->rows, 4);
  const std::vector<std::vector<CsvType>> want = {
      {CsvType::kInt, CsvType::kInt, CsvType::kBytes, CsvType::kUnknown},  // rows 0, 2
      {CsvType::kInt, CsvType::kFloat, CsvType::kInt, CsvType::kInt}};     // rows 1, 3
  std::vector<CsvType> merged(4, CsvType::kUnknown);
  for (int64_t index = 0; index < 2; ++index) {
    const auto shard = InferCsvColumns({a, b}, {}, {index, 2});
    ASSERT_TRUE(shard.ok()) << shard.status().message();
    EXPECT_EQ(shard->rows, 4);
    EXPECT_EQ(shard->names, whole->names);
    EXPECT_EQ(shard->types, want[index]) << index;
    for (size_t c = 0; c < merged.size(); ++c) merged[c] = std::max(merged[c], shard->types[c]);
  }
  EXPECT_EQ(merged, whole->types);
  EXPECT_EQ(whole->types,
            (std::vector<CsvType>{CsvType::kInt, CsvType::kFloat, CsvType::kBytes, CsvType::kInt}));
  EXPECT_EQ(InferCsvColumns({a}, {}, {2, 2}).status().code(), Status::Code::kInvalidArgument);
}

// ---- rows to tf.Example (TFX's CsvExampleGen) --------------------------------

TEST(CsvExampleTest, EveryColumnIsAFeatureEmptyValuesGiveEmptyLists) {
  auto reader = CsvReader::FromString(
      "i,f,s,e\n"
      "7,0.1,Adelie,\n"
      ",1e39,,\n"
      "-2,nan,\"a,b\",\n",
      "t.csv");
  ASSERT_TRUE(reader.ok());
  CsvExampleBuilder builder(
      {{"i", "f", "s", "e"}, {CsvType::kInt, CsvType::kFloat, CsvType::kBytes, CsvType::kUnknown}});
  std::vector<tensorflow::Example> got;
  while (*(*reader)->ReadRow()) {
    ASSERT_TRUE(builder.FromRow(**reader).ok());
    got.push_back(builder.example());
  }
  ASSERT_EQ(got.size(), 3u);

  tensorflow::Example want;
  SetInt64Feature("i", {7}, &want);
  SetFloatFeature("f", {0.1f}, &want);
  SetBytesFeature("s", {"Adelie"}, &want);
  (*want.mutable_features()->mutable_feature())["e"];  // no kind: the column is empty everywhere
  EXPECT_EQ(SerializeDeterministic(got[0]), SerializeDeterministic(want));

  want.Clear();
  SetInt64Feature("i", {}, &want);  // present with no values, as TFX writes it
  SetFloatFeature("f", {std::numeric_limits<float>::infinity()}, &want);
  SetBytesFeature("s", {}, &want);
  (*want.mutable_features()->mutable_feature())["e"];
  EXPECT_EQ(SerializeDeterministic(got[1]), SerializeDeterministic(want));
  EXPECT_TRUE(got[1].features().feature().at("i").has_int64_list());
  EXPECT_EQ(got[1].features().feature().at("e").kind_case(), tensorflow::Feature::KIND_NOT_SET);

  EXPECT_EQ(got[2].features().feature().at("i").int64_list().value(0), -2);
  EXPECT_TRUE(std::isnan(got[2].features().feature().at("f").float_list().value(0)));
  EXPECT_EQ(got[2].features().feature().at("s").bytes_list().value(0), "a,b");
}

TEST(CsvExampleTest, DoublesBecomeFloatsAsProtobufStoresThem) {
  EXPECT_EQ(CsvDoubleToFloat(0.1), 0.1f);
  EXPECT_EQ(CsvDoubleToFloat(3.4028235677973366e38), std::numeric_limits<float>::infinity());
  EXPECT_EQ(CsvDoubleToFloat(-1e300), -std::numeric_limits<float>::infinity());
  EXPECT_EQ(CsvDoubleToFloat(1e-50), 0.0f);
  EXPECT_EQ(CsvDoubleToFloat(3.4028234663852886e38), std::numeric_limits<float>::max());
}

TEST(CsvExampleTest, ValueContradictingTheColumnTypeNamesLineAndColumn) {
  auto reader = CsvReader::FromString("n,x,e\n1,2.5,\n2,abc,\n", "t.csv");
  ASSERT_TRUE(reader.ok());
  CsvExampleBuilder builder({{"n", "x", "e"}, {CsvType::kInt, CsvType::kFloat, CsvType::kUnknown}});
  ASSERT_TRUE(*(*reader)->ReadRow());
  ASSERT_TRUE(builder.FromRow(**reader).ok());
  ASSERT_TRUE(*(*reader)->ReadRow());
  Status s = builder.FromRow(**reader);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "t.csv: line 3, column 2 (\"x\"): value \"abc\" is not FLOAT (expected the column's "
            "inferred type)");

  // An int column given a float, and an all-empty column given a value.
  reader = CsvReader::FromString("n,x,e\n1.5,1,\n3,1,z\n", "t.csv");
  ASSERT_TRUE(*(*reader)->ReadRow());
  EXPECT_EQ(builder.FromRow(**reader).message(),
            "t.csv: line 2, column 1 (\"n\"): value \"1.5\" is not INT (expected the column's "
            "inferred type)");
  ASSERT_TRUE(*(*reader)->ReadRow());
  EXPECT_EQ(builder.FromRow(**reader).message(),
            "t.csv: line 3, column 3 (\"e\"): value \"z\" in a column of type UNKNOWN (expected no "
            "value: the column was empty in every row when types were inferred)");
}

}  // namespace
}  // namespace edgepipe::io
