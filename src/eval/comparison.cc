#include "src/eval/comparison.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "src/core/html.h"
#include "src/eval/baseline.h"
#include "src/eval/output.h"
#include "src/eval/slicing.h"

namespace edgepipe::eval {
namespace {

// The first multi-class confusion matrix and calibration histogram of
// `model_name` in the overall slice (by the data they hold, whatever the
// metric was named).
void FillPlots(const EvalResult& r, const std::string& model_name, Comparison::Side* side) {
  for (const tfma::PlotsForSlice& p : r.plots) {
    if (p.slice_key().single_slice_keys_size() != 0) continue;
    for (const auto& kv : p.plot_keys_and_values()) {
      if (kv.key().model_name() != model_name) continue;
      const tfma::PlotData& plot = kv.value();
      if (side->confusion.empty() && plot.has_multi_class_confusion_matrix_at_thresholds() &&
          plot.multi_class_confusion_matrix_at_thresholds().matrices_size() > 0) {
        const auto& m = plot.multi_class_confusion_matrix_at_thresholds().matrices(0);
        int32_t classes = 0;
        for (const auto& e : m.entries()) {
          // Predicted -1 (no score above the threshold) has no column here.
          if (e.actual_class_id() < 0 || e.actual_class_id() >= 1024 ||
              e.predicted_class_id() >= 1024) {
            continue;
          }
          classes = std::max({classes, e.actual_class_id() + 1, e.predicted_class_id() + 1});
        }
        side->confusion.assign(static_cast<size_t>(classes),
                               std::vector<double>(static_cast<size_t>(classes), 0.0));
        for (const auto& e : m.entries()) {
          if (e.actual_class_id() < 0 || e.predicted_class_id() < 0 ||
              e.actual_class_id() >= classes || e.predicted_class_id() >= classes) {
            continue;
          }
          side->confusion[static_cast<size_t>(e.actual_class_id())]
                         [static_cast<size_t>(e.predicted_class_id())] += e.num_weighted_examples();
        }
      }
      if (side->calibration.empty() && plot.has_calibration_histogram_buckets()) {
        for (const auto& b : plot.calibration_histogram_buckets().buckets()) {
          const double w = b.num_weighted_examples().value();
          if (!(w > 0)) continue;
          side->calibration.push_back({b.total_weighted_refined_prediction().value() / w,
                                       b.total_weighted_label().value() / w, w});
        }
      }
    }
  }
}

std::string Verdict(const tfma::ValidationResult& v) {
  return v.validation_ok() ? "BLESSED" : "NOT BLESSED";
}

std::vector<std::string> Failures(const tfma::ValidationResult& v) {
  std::vector<std::string> out;
  for (const auto& per_slice : v.metric_validations_per_slice()) {
    for (const auto& f : per_slice.failures()) {
      out.push_back(SliceKeyToString(per_slice.slice_key()) + ": " +
                    (f.message().empty() ? MetricKeyLabel(f.metric_key()) : f.message()));
    }
  }
  for (const auto& missing : v.missing_slices()) {
    out.push_back("no example in slice " + missing.ShortDebugString());
  }
  return out;
}

// Rows of slice `slice_name`: `left_model`'s keys of `left` beside
// `right_model`'s of `right` (either may be null), diffs left out.
void AddRows(const std::string& slice_name, const tfma::MetricsForSlice* left,
             const std::string& left_model, const tfma::MetricsForSlice* right,
             const std::string& right_model, std::vector<Comparison::Row>* rows) {
  std::vector<std::string> order;
  std::map<std::string, Comparison::Row> by_metric;
  auto take = [&](const tfma::MetricsForSlice* slice, const std::string& model, bool is_left) {
    if (slice == nullptr) return;
    for (const auto& kv : slice->metric_keys_and_values()) {
      if (kv.key().is_diff() || kv.key().model_name() != model || !kv.value().has_double_value()) {
        continue;
      }
      const std::string metric = MetricKeyLabel(kv.key(), /*with_model=*/false);
      auto [it, added] = by_metric.try_emplace(metric);
      if (added) {
        order.push_back(metric);
        it->second.slice = slice_name;
        it->second.metric = metric;
      }
      (is_left ? it->second.left : it->second.right) = kv.value().double_value().value();
    }
  };
  take(left, left_model, true);
  take(right, right_model, false);
  for (const std::string& m : order) rows->push_back(by_metric[m]);
}

std::string Number(std::optional<double> v) {
  if (!v) return "-";
  tfma::MetricValue m;
  m.mutable_double_value()->set_value(*v);
  return FormatMetricValue(m);
}

std::string Delta(std::optional<double> d) {
  if (!d) return "";
  if (*d == 0) return "0";
  return (*d > 0 ? "+" : "") + Number(d);
}

// The top class of a kept score vector (eval/metrics.h).
int64_t TopClassOf(const std::vector<float>& p) {
  return TopClass(p.data(), static_cast<int64_t>(p.size()));
}

// The value of `metric` in the overall slice for one side.
std::optional<double> Overall(const Comparison& c, const std::string& metric, bool left) {
  for (const Comparison::Row& r : c.rows) {
    if (r.slice == "Overall" && r.metric == metric) return left ? r.left : r.right;
  }
  return std::nullopt;
}

constexpr const char* kCostMetrics[] = {"model_size_bytes", "arena_bytes", "macs", "latency_p50_ms",
                                        "latency_p99_ms"};
constexpr const char* kFidelityMetrics[] = {"prediction_agreement", "max_abs_output_difference"};

bool IsCostOrFidelity(const std::string& metric) {
  for (const char* m : kCostMetrics) {
    if (metric == m) return true;
  }
  for (const char* m : kFidelityMetrics) {
    if (metric == m) return true;
  }
  return false;
}

// A grayscale image as inline SVG, one rect per non-background pixel (the
// values scaled to the image's own range; darker is larger).
std::string ImageSvg(const Disagreement& d) {
  const int64_t side = d.image_side;
  float lo = d.image[0], hi = d.image[0];
  for (float v : d.image) {
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  const float range = hi > lo ? hi - lo : 1.0f;
  std::string svg = "<svg class=\"digit\" width=\"84\" height=\"84\" viewBox=\"0 0 " +
                    std::to_string(side) + " " + std::to_string(side) +
                    "\" shape-rendering=\"crispEdges\"><rect width=\"" + std::to_string(side) +
                    "\" height=\"" + std::to_string(side) + "\" fill=\"#fff\"/>";
  for (int64_t y = 0; y < side; ++y) {
    for (int64_t x = 0; x < side; ++x) {
      const float v = d.image[static_cast<size_t>(y * side + x)];
      const int ink =
          std::isfinite(v) ? static_cast<int>(std::lround(255.0f * (v - lo) / range)) : 0;
      if (ink <= 8) continue;
      const int level = 255 - ink;
      char rect[160];
      std::snprintf(rect, sizeof(rect),
                    "<rect x=\"%lld\" y=\"%lld\" width=\"1\" height=\"1\" fill=\"rgb(%d,%d,%d)\"/>",
                    static_cast<long long>(x), static_cast<long long>(y), level, level, level);
      svg += rect;
    }
  }
  return svg + "</svg>";
}

std::string ConfusionTable(const Comparison::Side& side, const std::string& id) {
  std::string h = "<table id=\"" + id + "\" class=\"confusion\"><caption>" + HtmlText(side.name) +
                  " (rows: actual, columns: predicted)</caption>\n<tr><th></th>";
  const size_t n = side.confusion.size();
  for (size_t p = 0; p < n; ++p) h += "<th>" + std::to_string(p) + "</th>";
  h += "</tr>\n";
  double largest = 0;
  for (const auto& row : side.confusion) {
    for (double v : row) largest = std::max(largest, v);
  }
  for (size_t a = 0; a < n; ++a) {
    h += "<tr><th>" + std::to_string(a) + "</th>";
    for (size_t p = 0; p < n; ++p) {
      const double v = side.confusion[a][p];
      const int shade = largest > 0 ? static_cast<int>(std::lround(200.0 * v / largest)) : 0;
      char style[96];
      std::snprintf(style, sizeof(style), " style=\"background:rgb(%d,%d,255)\"", 255 - shade,
                    255 - shade);
      h += "<td class=\"n" + std::string(a == p ? " diag" : "") + "\"" + (v > 0 ? style : "") +
           ">" + Number(v) + "</td>";
    }
    h += "</tr>\n";
  }
  return h + "</table>\n";
}

// Both sides' calibration as one inline SVG chart: mean label against mean
// prediction per bucket, with the diagonal a calibrated model follows.
std::string CalibrationSvg(const Comparison& c) {
  constexpr double kSize = 240, kPad = 30;
  auto px = [&](double v) { return kPad + std::clamp(v, 0.0, 1.0) * kSize; };
  auto py = [&](double v) { return kPad + kSize - std::clamp(v, 0.0, 1.0) * kSize; };
  char buf[256];
  std::string svg = "<svg id=\"calibration\" width=\"" + std::to_string(int(kSize + 2 * kPad)) +
                    "\" height=\"" + std::to_string(int(kSize + 2 * kPad)) + "\">";
  std::snprintf(buf, sizeof(buf),
                "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" "
                "stroke=\"#999\"/><line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#bbb\" "
                "stroke-dasharray=\"4\"/>",
                kPad, kPad, kSize, kSize, px(0), py(0), px(1), py(1));
  svg += buf;
  const struct {
    const Comparison::Side* side;
    const char* color;
    const char* cls;
  } series[] = {{&c.left, "#1f77b4", "left"}, {&c.right, "#ff7f0e", "right"}};
  for (const auto& s : series) {
    double total = 0;
    for (const auto& p : s.side->calibration) total += p.weight;
    for (const auto& p : s.side->calibration) {
      // Buckets outside [0, 1] (TFMA's underflow and overflow) are not drawn.
      if (p.prediction < 0 || p.prediction > 1) continue;
      const double r = 1.5 + 4.0 * std::sqrt(total > 0 ? p.weight / total : 0);
      std::snprintf(buf, sizeof(buf),
                    "<circle class=\"%s\" cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" fill=\"%s\" "
                    "fill-opacity=\"0.6\"/>",
                    s.cls, px(p.prediction), py(p.label), r, s.color);
      svg += buf;
    }
  }
  std::snprintf(buf, sizeof(buf),
                "<text x=\"%g\" y=\"%g\" font-size=\"11\">mean prediction</text>"
                "<text x=\"4\" y=\"%g\" font-size=\"11\">label</text>",
                kPad + kSize / 2 - 40, kPad * 2 + kSize - 8, kPad - 8);
  svg += buf;
  return svg + "</svg>";
}

}  // namespace

StatusOr<Comparison> CompareWithReference(const EvalResult& result) {
  const tfma::ModelSpec* candidate = CandidateSpec(result.config);
  const tfma::ModelSpec* reference = ReferenceSpec(result.config);
  if (candidate == nullptr || reference == nullptr) {
    return Status::FailedPrecondition(
        "the evaluation has no reference model to compare with (a second model spec without "
        "is_baseline); compare two evaluations with `edgepipe eval diff A B`");
  }
  Comparison c;
  c.left.name = candidate->name();
  c.right.name = reference->name();
  auto location = [&](const std::string& name) {
    auto it = result.model_locations.find(name);
    return it == result.model_locations.end() ? std::string() : it->second;
  };
  c.left.location = location(c.left.name);
  c.right.location = location(c.right.name);
  c.left.verdict = Verdict(result.validation);
  FillPlots(result, c.left.name, &c.left);
  FillPlots(result, c.right.name, &c.right);
  for (const tfma::MetricsForSlice& slice : result.metrics) {
    AddRows(SliceKeyToString(slice.slice_key()), &slice, c.left.name, &slice, c.right.name,
            &c.rows);
  }
  c.failures = Failures(result.validation);
  c.num_examples = result.num_examples;
  c.num_disagreements = result.num_disagreements;
  c.disagreements = result.disagreements;
  return c;
}

Comparison CompareEvaluations(const EvalResult& a, const EvalResult& b) {
  auto candidate_name = [](const EvalResult& r) {
    const tfma::ModelSpec* spec = CandidateSpec(r.config);
    return spec != nullptr && r.config.model_specs_size() > 1 ? spec->name() : std::string();
  };
  const std::string a_model = candidate_name(a);
  const std::string b_model = candidate_name(b);
  Comparison c;
  c.left.name = a_model.empty() || a_model == b_model ? "A" : a_model;
  c.right.name = b_model.empty() || a_model == b_model ? "B" : b_model;
  auto location = [](const EvalResult& r, const std::string& model) {
    auto it = r.model_locations.find(model);
    return it == r.model_locations.end() ? std::string() : it->second;
  };
  c.left.location = location(a, a_model);
  c.right.location = location(b, b_model);
  c.left.verdict = Verdict(a.validation);
  c.right.verdict = Verdict(b.validation);
  FillPlots(a, a_model, &c.left);
  FillPlots(b, b_model, &c.right);
  std::map<std::string, const tfma::MetricsForSlice*> b_slices;
  for (const auto& s : b.metrics) b_slices[SliceKeyBytes(s.slice_key())] = &s;
  std::set<std::string> seen;
  for (const auto& s : a.metrics) {
    const std::string key = SliceKeyBytes(s.slice_key());
    seen.insert(key);
    auto it = b_slices.find(key);
    AddRows(SliceKeyToString(s.slice_key()), &s, a_model,
            it == b_slices.end() ? nullptr : it->second, b_model, &c.rows);
  }
  for (const auto& s : b.metrics) {
    if (seen.count(SliceKeyBytes(s.slice_key())) == 0) {
      AddRows(SliceKeyToString(s.slice_key()), nullptr, a_model, &s, b_model, &c.rows);
    }
  }
  c.failures = Failures(a.validation);
  c.num_examples = a.num_examples;
  return c;
}

std::string RenderComparisonText(const Comparison& c) {
  std::string out;
  char buf[512];
  out += "left:  " + c.left.name + (c.left.location.empty() ? "" : "  " + c.left.location) +
         (c.left.verdict.empty() ? "" : "  [" + c.left.verdict + "]") + "\n";
  out += "right: " + c.right.name + (c.right.location.empty() ? "" : "  " + c.right.location) +
         (c.right.verdict.empty() ? "" : "  [" + c.right.verdict + "]") + "\n";
  if (c.num_disagreements >= 0) {
    out += "disagreements: " + std::to_string(c.num_disagreements) + " examples\n";
  }
  // Column widths over every row.
  size_t slice_w = 5, metric_w = 6;
  for (const Comparison::Row& r : c.rows) {
    slice_w = std::max(slice_w, r.slice.size());
    metric_w = std::max(metric_w, r.metric.size());
  }
  std::snprintf(buf, sizeof(buf), "\n%-*s  %-*s  %14s  %14s  %14s\n", static_cast<int>(slice_w),
                "slice", static_cast<int>(metric_w), "metric", c.left.name.substr(0, 14).c_str(),
                c.right.name.substr(0, 14).c_str(), "delta");
  out += buf;
  out += std::string(slice_w + metric_w + 52, '-') + "\n";
  for (const Comparison::Row& r : c.rows) {
    std::snprintf(buf, sizeof(buf), "%-*s  %-*s  %14s  %14s  %14s\n", static_cast<int>(slice_w),
                  r.slice.c_str(), static_cast<int>(metric_w), r.metric.c_str(),
                  Number(r.left).c_str(), Number(r.right).c_str(), Delta(r.delta()).c_str());
    out += buf;
  }
  if (!c.failures.empty()) {
    out += "\n" + c.left.name + " fails:\n";
    for (const std::string& f : c.failures) out += "  " + f + "\n";
  }
  if (!c.disagreements.empty()) {
    out +=
        "\nfirst disagreements (file:record  label  " + c.left.name + "  " + c.right.name + "):\n";
    for (const Disagreement& d : c.disagreements) {
      std::snprintf(buf, sizeof(buf), "  %s:%lld  %g  %lld  %lld\n", d.file.c_str(),
                    static_cast<long long>(d.record), d.label,
                    static_cast<long long>(TopClassOf(d.candidate)),
                    static_cast<long long>(TopClassOf(d.reference)));
      out += buf;
    }
  }
  return out;
}

std::string RenderComparisonHtml(const Comparison& c) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>";
  h += HtmlText(c.left.name) + " vs " + HtmlText(c.right.name) + "</title>\n<style>\n";
  h += "body{font-family:sans-serif;margin:2em;color:#222}\n"
       "table{border-collapse:collapse;margin:1em 0}\n"
       "th,td{border:1px solid #bbb;padding:3px 8px}td.n{text-align:right;"
       "font-variant-numeric:tabular-nums}\nth{background:#eee}caption{text-align:left;"
       "font-weight:bold;padding:4px 0}\n.pass{color:#176117}.bad{color:#a11}"
       ".worse{color:#a11}.better{color:#176117}td.diag{font-weight:bold}\n"
       ".side{display:inline-block;vertical-align:top;margin-right:2em}\n"
       ".disagreement{display:inline-block;margin:6px;padding:6px;border:1px solid #ddd;"
       "text-align:center;font-size:13px}\ntd code{word-break:break-all;font-size:12px}"
       "#models td{max-width:28em}\n</style></head><body>\n";
  h += "<h1>" + HtmlText(c.left.name) + " vs " + HtmlText(c.right.name) + "</h1>\n";
  const bool blessed = c.left.verdict == "BLESSED";
  h += "<p>Verdict on " + HtmlText(c.left.name) + ": <strong id=\"verdict\" class=\"" +
       (blessed ? "pass" : "bad") + "\">" + HtmlText(c.left.verdict) + "</strong></p>\n";
  if (!c.failures.empty()) {
    h += "<ul id=\"failures\">\n";
    for (const std::string& f : c.failures) h += "<li class=\"bad\">" + HtmlText(f) + "</li>\n";
    h += "</ul>\n";
  }

  // Models: where they are, what they cost.
  h += "<h2>Models</h2>\n<table id=\"models\">\n<tr><th></th><th>" + HtmlText(c.left.name) +
       "</th><th>" + HtmlText(c.right.name) + "</th></tr>\n";
  h += "<tr><th>location</th><td><code>" + HtmlText(c.left.location) + "</code></td><td><code>" +
       HtmlText(c.right.location) + "</code></td></tr>\n";
  for (const char* m : kCostMetrics) {
    const auto l = Overall(c, m, true), r = Overall(c, m, false);
    if (!l && !r) continue;
    h += std::string("<tr data-metric=\"") + m + "\"><th>" + m + "</th><td class=\"n\">" +
         Number(l) + "</td><td class=\"n\">" + Number(r) + "</td></tr>\n";
  }
  h += "</table>\n";

  // Fidelity.
  if (c.num_disagreements >= 0) {
    h += "<h2>Conversion fidelity</h2>\n<table id=\"fidelity\">\n";
    for (const char* m : kFidelityMetrics) {
      const auto v = Overall(c, m, true);
      if (v) {
        h += std::string("<tr data-metric=\"") + m + "\"><th>" + m + "</th><td class=\"n\">" +
             Number(v) + "</td></tr>\n";
      }
    }
    h += "<tr><th>disagreeing examples</th><td class=\"n\" id=\"num-disagreements\">" +
         std::to_string(c.num_disagreements) + "</td></tr>\n</table>\n";
  }

  // Metrics and deltas per slice.
  h += "<h2>Metrics by slice</h2>\n<table id=\"metrics\">\n<tr><th>slice</th><th>metric</th><th>" +
       HtmlText(c.left.name) + "</th><th>" + HtmlText(c.right.name) + "</th><th>delta</th></tr>\n";
  for (const Comparison::Row& r : c.rows) {
    if (IsCostOrFidelity(r.metric)) continue;
    const auto d = r.delta();
    h += "<tr data-slice=\"" + HtmlText(r.slice) + "\" data-metric=\"" + HtmlText(r.metric) +
         "\"><td>" + HtmlText(r.slice) + "</td><td>" + HtmlText(r.metric) +
         "</td><td class=\"n left\">" + Number(r.left) + "</td><td class=\"n right\">" +
         Number(r.right) + "</td><td class=\"n delta\">" + Delta(d) + "</td></tr>\n";
  }
  h += "</table>\n";

  if (!c.left.confusion.empty() || !c.right.confusion.empty()) {
    h += "<h2>Confusion matrices (overall)</h2>\n";
    if (!c.left.confusion.empty()) {
      h += "<div class=\"side\">" + ConfusionTable(c.left, "confusion-left") + "</div>";
    }
    if (!c.right.confusion.empty()) {
      h += "<div class=\"side\">" + ConfusionTable(c.right, "confusion-right") + "</div>";
    }
    h += "\n";
  }
  if (!c.left.calibration.empty() || !c.right.calibration.empty()) {
    h += "<h2>Calibration (overall)</h2>\n<p><span style=\"color:#1f77b4\">&#9679; " +
         HtmlText(c.left.name) + "</span> &nbsp; <span style=\"color:#ff7f0e\">&#9679; " +
         HtmlText(c.right.name) + "</span></p>\n" + CalibrationSvg(c) + "\n";
  }
  if (c.num_disagreements >= 0) {
    h += "<h2>Examples the two disagree on</h2>\n<p>" + std::to_string(c.num_disagreements) +
         " of " + std::to_string(c.num_examples) + " examples";
    if (c.num_disagreements > static_cast<int64_t>(c.disagreements.size())) {
      h += "; the first " + std::to_string(c.disagreements.size()) + " shown";
    }
    h += ".</p>\n<div id=\"disagreements\">\n";
    for (const Disagreement& d : c.disagreements) {
      const int64_t lc = TopClassOf(d.candidate), rc = TopClassOf(d.reference);
      h += "<div class=\"disagreement\" data-record=\"" + std::to_string(d.record) +
           "\" data-left-class=\"" + std::to_string(lc) + "\" data-right-class=\"" +
           std::to_string(rc) + "\">";
      if (d.image_side > 0 && !d.image.empty()) h += ImageSvg(d) + "<br>";
      h += "label " + Number(d.label) + "<br>" + HtmlText(c.left.name) + ": " + std::to_string(lc) +
           "<br>" + HtmlText(c.right.name) + ": " + std::to_string(rc);
      h += "<br><small>" + HtmlText(d.file.substr(d.file.find_last_of('/') + 1)) + ":" +
           std::to_string(d.record) + "</small></div>\n";
    }
    h += "</div>\n";
  }
  h += "</body></html>\n";
  return h;
}

}  // namespace edgepipe::eval
