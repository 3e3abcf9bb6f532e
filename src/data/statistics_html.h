// A self-contained HTML page of TFDV statistics with every dataset (split)
// side by side, after TFDV's Facets Overview: StatisticsGen writes one per
// ExampleStatistics artifact and `edgepipe stats html` renders one on demand.
//
// The page needs nothing but itself: inline CSS, inline SVG charts, and a few
// lines of inline JavaScript for the name filter and the sort order (without
// JavaScript the page shows everything, sorted by name). Features are listed
// in natural name order (pixel_2 before pixel_10), numeric and categorical
// features in two tables, one row per split:
//   - numeric: count, missing, values per example, mean, std dev, zeros, min,
//     median, max; the chart overlays every split's STANDARD histogram as
//     adjacent bars per bucket (each bar the share of its split's values, so a
//     small eval split compares with a large train split) and, under it, one
//     strip per split with a tick at each QUANTILES bucket edge. Splits whose
//     bucket edges differ are drawn on common equal-width buckets over all
//     splits' range, each bucket's count spread in proportion to the overlap
//     (values taken as uniform within a bucket);
//   - categorical: count, missing, values per example, unique, top value,
//     average length; the chart shows the most frequent values (the first
//     split's first, then the others') with one bar per split, the share of
//     that split's values.
// Each feature also carries the largest difference between the first split
// and another in the share of one bucket or value (L-infinity, as TFDV's
// drift comparator for categorical features), the page's "split difference"
// sort order.
//
// Every string from the statistics (feature names, split names, values, the
// title) is escaped: valid UTF-8 is kept, except control characters, which
// are written as \xNN, as are invalid bytes; &, <, >, " and ' become entities.
// So no statistics file can inject markup or script, and the page is valid
// UTF-8. Non-finite or negative numbers in a histogram are skipped, never
// drawn. The page is bounded whatever the input: at most
// kMaxHtmlDatasets datasets and kMaxHtmlFeatures features (the rest are
// counted in a note), at most kMaxHistogramBars buckets per chart, and the
// output is linear in the size of the statistics shown.
//
// Size: about 1.1-1.3 KB per numeric feature with two splits (measured:
// 1.04 MB for 784 pixel features and a label in two splits,
// statistics_html_test.cc's SizeFor784Features).
//
// Pure function of its arguments; thread-safe. The statistics are borrowed
// for the call only.
#ifndef EDGEPIPE_DATA_STATISTICS_HTML_H_
#define EDGEPIPE_DATA_STATISTICS_HTML_H_

#include <string>
#include <string_view>
#include <vector>

#include "src/data/proto/statistics.pb.h"
#include "src/data/schema_inference.h"  // NamedStatistics

namespace edgepipe::data {

// One colour per dataset, so more datasets than colours are not drawn.
inline constexpr int kMaxHtmlDatasets = 10;
// Far above real data (MNIST: 784); keeps a hostile file of millions of
// empty features from becoming gigabytes of HTML.
inline constexpr int kMaxHtmlFeatures = 10000;
// Buckets per histogram chart (more are merged onto this many).
inline constexpr int kMaxHistogramBars = 60;

// The colours of datasets 0, 1, ... (CSS hex), in the order given; also the
// classes s0, s1, ... of the page (tests look for these pixels).
extern const char* const kHtmlDatasetColors[kMaxHtmlDatasets];

struct StatisticsHtmlOptions {
  int max_top_values = 10;  // values charted per categorical feature (1..1000)
};

// The page of `datasets`, in the order given (the first gets the first
// colour and is the reference of "split difference"). A dataset's label is
// its `split`, or DatasetFeatureStatistics.name when that is empty. `title`
// heads the page.
std::string RenderStatisticsHtml(const std::vector<NamedStatistics>& datasets,
                                 std::string_view title, const StatisticsHtmlOptions& options = {});

// `text` as HTML text or attribute content, as the page writes every string
// (see above). Exposed for tests.
std::string HtmlText(std::string_view text);

// Natural order of names: runs of digits compare as numbers (of any length),
// everything else byte by byte; names that tie ("a01", "a1") fall back to
// byte order, so this is a strict total order. <0, 0, >0 like strcmp.
int NaturalCompare(std::string_view a, std::string_view b);

}  // namespace edgepipe::data

#endif  // EDGEPIPE_DATA_STATISTICS_HTML_H_
