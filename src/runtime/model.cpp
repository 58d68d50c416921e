// Linear models in LIBLINEAR's text model format (so Debian's
// liblinear-predict reads them), decision values and prediction metrics.
#include "asyncopt/model.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "asyncopt/error.hpp"
#include "asyncopt/solver.hpp"
#include "io/output_file.hpp"
#include "runtime/model_text.hpp"

namespace asyncopt {
namespace {

using namespace runtime::model_text;  // NOLINT(google-build-using-namespace)

// LIBLINEAR's solver_type names: they only select how liblinear-predict
// reports; every asyncopt model is a plain linear decision function.
const char* SolverTypeName(const LinearModel& m) {
  // LIBLINEAR's l2-regularised squared-loss regression (-s 11; -p 0 makes
  // its epsilon-insensitive loss the squared loss): how liblinear-predict
  // knows to report the mean squared error.
  if (m.regression) return "L2R_L2LOSS_SVR";
  switch (m.loss) {
    case Loss::kLogistic:
      return m.l1 ? "L1R_LR" : "L2R_LR";
    case Loss::kHinge:
      return "L2R_L1LOSS_SVC_DUAL";
    case Loss::kSquaredHinge:
    case Loss::kSquared:  // least-squares classifier: decisions by sign, like an SVC
      return m.l1 ? "L1R_L2LOSS_SVC" : "L2R_L2LOSS_SVC";
  }
  return "L2R_LR";
}

bool LossFromSolverType(const std::string& name, LinearModel* model) {
  struct Entry {
    const char* name;
    Loss loss;
    bool l1;
    bool regression;
  };
  static const Entry kTable[] = {
      {"L2R_LR", Loss::kLogistic, false, false},
      {"L1R_LR", Loss::kLogistic, true, false},
      {"L2R_LR_DUAL", Loss::kLogistic, false, false},
      {"L2R_L1LOSS_SVC_DUAL", Loss::kHinge, false, false},
      {"L2R_L2LOSS_SVC", Loss::kSquaredHinge, false, false},
      {"L2R_L2LOSS_SVC_DUAL", Loss::kSquaredHinge, false, false},
      {"L1R_L2LOSS_SVC", Loss::kSquaredHinge, true, false},
      // LIBLINEAR's regression models (-s 11, 12, 13): a linear prediction.
      {"L2R_L2LOSS_SVR", Loss::kSquared, false, true},
      {"L2R_L2LOSS_SVR_DUAL", Loss::kSquared, false, true},
      {"L2R_L1LOSS_SVR_DUAL", Loss::kSquared, false, true},
  };
  for (const auto& e : kTable) {
    if (name == e.name) {
      model->loss = e.loss;
      model->l1 = e.l1;
      model->regression = e.regression;
      return true;
    }
  }
  return false;
}

// Header keys LIBLINEAR writes for a binary classifier and their value
// counts; "rho" appears in newer versions (one-class SVM, unused here).
struct HeaderKey {
  const char* name;
  std::size_t values;
  bool required;
};
constexpr HeaderKey kHeaderKeys[] = {
    {"solver_type", 1, true}, {"nr_class", 1, true}, {"label", 2, true},
    {"nr_feature", 1, true},  {"bias", 1, true},     {"rho", 1, false},
};

// A model DecisionValue can compute with.
void CheckUsable(const LinearModel& model) {
  if (model.bias > 0 && model.w.empty()) {
    BadModel("linear model with bias " + std::to_string(model.bias) + " has no bias weight");
  }
}

// The one margin implementation: x . w over the features the model knows,
// divided by ||x|| with normalize_rows, plus the bias term. Checks that the
// indices are non-negative and strictly increasing.
double Margin(const LinearModel& model, const std::int32_t* index, const double* value,
              std::size_t nnz) {
  const std::int32_t nf = model.num_features();
  const bool with_bias = model.bias > 0;
  double dot = 0.0;
  double largest = 0.0;  // for an overflow-free ||x|| (as ApplyRecord's)
  std::int32_t previous = -1;
  for (std::size_t k = 0; k < nnz; ++k) {
    const std::int32_t j = index[k];
    if (j <= previous) {
      throw Error(ErrorKind::kInvalidInput,
                  "row entry " + std::to_string(k) + ": feature index " + std::to_string(j) +
                      (j < 0 ? " is negative"
                             : " does not follow " + std::to_string(previous) +
                                   " (indices must be strictly increasing)"));
    }
    previous = j;
    if (j < nf) dot += model.w[static_cast<std::size_t>(j)] * value[k];
    // With a bias, training dropped unseen features before normalising.
    if (model.normalize_rows && (!with_bias || j < nf)) {
      largest = std::max(largest, std::fabs(value[k]));
    }
  }
  if (model.normalize_rows && largest > 0.0 && std::isfinite(largest)) {
    double sum = 0.0;
    for (std::size_t k = 0; k < nnz; ++k) {
      if (with_bias && index[k] >= nf) continue;
      const double t = value[k] / largest;
      sum += t * t;
    }
    dot /= largest * std::sqrt(sum);
  }
  if (with_bias) dot += model.w[static_cast<std::size_t>(nf)] * model.bias;
  return dot;
}

}  // namespace

void SaveModel(const LinearModel& model, const std::string& path) {
  for (double v : model.w) {
    if (!std::isfinite(v)) {
      throw Error(ErrorKind::kInvalidInput,
                  path + ": refusing to write a model with non-finite weights");
    }
  }
  if (!std::isfinite(model.bias)) {
    throw Error(ErrorKind::kInvalidOption,
                path + ": refusing to write a model with a non-finite bias");
  }
  CheckUsable(model);
  if (!model.regression &&
      (!ValidLabel(model.positive_label) || !ValidLabel(model.negative_label) ||
       SameLabel(model.positive_label, model.negative_label))) {
    throw Error(ErrorKind::kInvalidOption,
                path + ": model labels must be two different words, found '" +
                    model.positive_label + "' and '" + model.negative_label + "'");
  }
  io::OutputFile file(path);
  std::string text;
  char line[64];
  std::snprintf(line, sizeof line, "%d\nbias %.17g\nw\n", model.num_features(), model.bias);
  // LIBLINEAR writes no label line for a regression model (nr_class 2 all the same).
  text = std::string("solver_type ") + SolverTypeName(model) + "\nnr_class 2\n" +
         (model.regression
              ? std::string()
              : "label " + model.positive_label + " " + model.negative_label + "\n") +
         "nr_feature " + line;
  for (double v : model.w) {
    std::snprintf(line, sizeof line, "%.17g \n", v);
    text += line;
    if (text.size() >= (1u << 20)) {
      file.Write(text);
      text.clear();
    }
  }
  // LIBLINEAR reads a bias weight whenever bias >= 0; a bias of 0 adds a
  // feature of value 0, so its weight is irrelevant: write 0.
  if (model.bias >= 0 && !(model.bias > 0)) text += "0 \n";
  file.Write(text);
  file.Commit();
}

LinearModel LoadModel(const std::string& path) {
  const std::string text = ReadWholeFile(path);
  LineReader lines(text);
  LinearModel model;
  std::int64_t nr_feature = -1;
  std::int64_t seen_on[std::size(kHeaderKeys)] = {};
  std::string_view line;
  std::string solver_type;
  bool found_w = false;
  while (lines.Next(&line)) {
    const std::int64_t n = lines.number();
    const std::vector<std::string_view> tokens = Tokens(line);
    if (tokens.empty()) Malformed(path, n, "empty line in the header");
    const std::string key(tokens[0]);
    if (key == "w") {
      if (tokens.size() != 1) {
        Malformed(path, n, "unexpected '" + std::string(tokens[1]) + "' after 'w'");
      }
      found_w = true;
      break;
    }
    std::size_t k = 0;
    while (k < std::size(kHeaderKeys) && key != kHeaderKeys[k].name) ++k;
    if (k == std::size(kHeaderKeys)) Malformed(path, n, "unknown key '" + key + "'");
    if (seen_on[k] != 0) {
      Malformed(path, n,
                "duplicate key '" + key + "' (first on line " + std::to_string(seen_on[k]) + ")");
    }
    seen_on[k] = n;
    if (tokens.size() - 1 != kHeaderKeys[k].values) {
      Malformed(path, n,
                "'" + key + "' takes " + std::to_string(kHeaderKeys[k].values) +
                    (kHeaderKeys[k].values == 1 ? " value" : " values") + ", found " +
                    std::to_string(tokens.size() - 1) + ": '" + std::string(line) + "'");
    }
    const std::string value(tokens[1]);
    if (key == "solver_type") {
      solver_type = value;
      if (!LossFromSolverType(value, &model)) {
        Malformed(path, n,
                  "unsupported solver_type '" + value +
                      "' (binary linear classifiers and linear regression only)");
      }
    } else if (key == "nr_class") {
      if (value != "2") Malformed(path, n, "nr_class must be 2, found '" + value + "'");
    } else if (key == "label") {
      model.positive_label = value;
      model.negative_label = std::string(tokens[2]);
      if (SameLabel(model.positive_label, model.negative_label)) {
        Malformed(path, n,
                  "the two labels are the same class ('" + model.positive_label + "' and '" +
                      model.negative_label + "')");
      }
    } else if (key == "nr_feature") {
      std::int64_t count = -1;
      const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), count);
      if (ec != std::errc() || p != value.data() + value.size() || count < 0) {
        Malformed(path, n, "nr_feature must be a non-negative integer, found '" + value + "'");
      }
      // Each weight row takes at least 2 bytes ("0\n"): never trust the
      // header with memory or time the file cannot back.
      const auto most = static_cast<std::int64_t>(text.size() / 2);
      if (count > most) {
        Malformed(path, n,
                  "nr_feature " + value + ", but the file holds at most " + std::to_string(most) +
                      " weight rows");
      }
      if (count >= std::numeric_limits<std::int32_t>::max()) {
        Malformed(path, n, "nr_feature " + value + " exceeds 2147483646");
      }
      nr_feature = count;
    } else if (key == "bias") {
      model.bias = ParseDouble(value, path, n);
    } else {  // rho: one-class SVMs only; checked, then unused
      ParseDouble(value, path, n);
    }
  }
  if (!found_w) Malformed(path, lines.number(), "the header has no 'w' line");
  std::string missing;
  constexpr std::size_t kLabelKey = 2;
  static_assert(std::string_view(kHeaderKeys[kLabelKey].name) == "label");
  if (model.regression && seen_on[kLabelKey] != 0) {
    Malformed(path, seen_on[kLabelKey],
              "a regression model (solver_type " + solver_type + ") has no label line");
  }
  for (std::size_t k = 0; k < std::size(kHeaderKeys); ++k) {
    if (kHeaderKeys[k].required && seen_on[k] == 0 && !(model.regression && k == kLabelKey)) {
      missing += std::string(missing.empty() ? "" : ", ") + kHeaderKeys[k].name;
    }
  }
  if (!missing.empty()) Malformed(path, lines.number(), "the header lacks " + missing);

  // LIBLINEAR stores a bias weight whenever bias >= 0.
  const bool bias_row = model.bias >= 0;
  const std::int64_t rows = nr_feature + (bias_row ? 1 : 0);
  const std::int64_t w_line = lines.number();
  while (lines.Next(&line)) {
    const std::int64_t n = lines.number();
    const std::vector<std::string_view> tokens = Tokens(line);
    const auto have = static_cast<std::int64_t>(model.w.size());
    if (tokens.empty()) {
      if (have < rows) {
        Malformed(path, n,
                  "empty weight row (" + std::to_string(have) + " of " + std::to_string(rows) +
                      " weights read)");
      }
      continue;  // blank lines after the last row
    }
    if (have == rows) {
      Malformed(path, n,
                "extra weight row: nr_feature " + std::to_string(nr_feature) +
                    (bias_row ? " and a bias give " : " gives ") + std::to_string(rows) +
                    (rows == 1 ? " row" : " rows") + " after line " + std::to_string(w_line));
    }
    if (tokens.size() != 1) {
      Malformed(path, n,
                "a weight row of a binary model holds one number, found " +
                    std::to_string(tokens.size()) + ": '" + std::string(line) + "'");
    }
    model.w.push_back(ParseDouble(tokens[0], path, n));
  }
  if (static_cast<std::int64_t>(model.w.size()) != rows) {
    Malformed(path, lines.number(),
              "expected " + std::to_string(rows) + " weight rows after line " +
                  std::to_string(w_line) + ", found " + std::to_string(model.w.size()));
  }
  // A bias of 0 appends a feature of value 0: its weight cannot matter.
  if (bias_row && !(model.bias > 0)) model.w.pop_back();
  return model;
}

LinearModel MakeLinearModel(std::span<const double> w, const Problem& problem,
                            const PreprocessingRecord& record, std::string positive_label,
                            std::string negative_label) {
  if (!std::isfinite(record.bias)) {
    BadModel("MakeLinearModel: the preprocessing record's bias is not finite");
  }
  const bool with_bias = record.bias > 0;
  const std::size_t extra = with_bias ? 1 : 0;
  const std::size_t scaled = record.column_scale.size();
  if (scaled > 0 && record.num_cols > 0 && static_cast<std::size_t>(record.num_cols) != scaled) {
    BadModel("MakeLinearModel: the preprocessing record is inconsistent: column_scale has " +
             std::to_string(scaled) + " entries but num_cols is " +
             std::to_string(record.num_cols));
  }
  std::size_t width = scaled > 0 ? scaled : static_cast<std::size_t>(std::max(record.num_cols, 0));
  if (width == 0 && w.size() >= extra) width = w.size() - extra;  // width not recorded
  if (w.size() != width + extra) {
    BadModel("MakeLinearModel: w has " + std::to_string(w.size()) +
             " weights, but the training width is " + std::to_string(width) +
             (with_bias ? " plus 1 bias weight" : "") + " = " + std::to_string(width + extra));
  }
  const std::vector<std::int32_t>& original = record.original_column;
  if (!original.empty() && original.size() != width) {
    BadModel("MakeLinearModel: the preprocessing record is inconsistent: " +
             std::to_string(original.size()) + " original columns for a training width of " +
             std::to_string(width));
  }
  const bool standardized = record.standardized_target;
  if (standardized && (!(record.target_std > 0.0) || !std::isfinite(record.target_std) ||
                       !std::isfinite(record.target_mean))) {
    BadModel("MakeLinearModel: the preprocessing record's target_mean and target_std must be "
             "finite, the std > 0");
  }
  LinearModel model;
  model.w.assign(w.begin(), w.end());
  if (standardized) {
    // x'.w' predicts (y - mu) / s: y = x'.(s w') + mu.
    for (double& v : model.w) v *= record.target_std;
    if (with_bias) model.w[width] += record.target_mean / record.bias;
  }
  for (std::size_t j = 0; j < scaled; ++j) {
    const double s = record.column_scale[j];
    if (!(s > 0.0) || !std::isfinite(s)) {
      BadModel("MakeLinearModel: column_scale[" + std::to_string(j) + "] = " + std::to_string(s) +
               " must be finite and > 0");
    }
    model.w[j] /= s;  // x_scaled . w = sum_j x_j (w_j / s_j)
  }
  if (!original.empty()) {
    // Compacted training columns back to the raw feature indices (every
    // feature that never occurred gets weight 0).
    const std::size_t raw = static_cast<std::size_t>(std::max(record.raw_num_cols, 0));
    for (std::size_t c = 0; c < original.size(); ++c) {
      const std::int32_t j = original[c];
      if (j < 0 || static_cast<std::size_t>(j) >= raw || (c > 0 && j <= original[c - 1])) {
        BadModel("MakeLinearModel: the preprocessing record's original_column[" +
                 std::to_string(c) + "] = " + std::to_string(j) +
                 " is not an increasing index below the raw width " + std::to_string(raw));
      }
    }
    std::vector<double> expanded(raw + extra, 0.0);
    for (std::size_t c = 0; c < original.size(); ++c) {
      expanded[static_cast<std::size_t>(original[c])] = model.w[c];
    }
    if (with_bias) expanded[raw] = model.w[width];
    model.w = std::move(expanded);
  }
  model.bias = with_bias ? record.bias : -1.0;
  if (standardized && !with_bias) {
    // The mean needs a bias term: a feature of value 1 with weight mu.
    model.bias = 1.0;
    model.w.push_back(record.target_mean);
  }
  model.regression = record.label_kind == LabelKind::kTargets;
  model.loss = problem.loss;
  model.l1 = problem.l1 > 0.0;
  model.normalize_rows = record.normalized_rows;
  model.positive_label = std::move(positive_label);
  model.negative_label = std::move(negative_label);
  return model;
}

std::vector<double> TrainingWeights(const LinearModel& model, const PreprocessingRecord& record) {
  CheckUsable(model);
  const bool with_bias = record.bias > 0;
  const bool model_bias = model.bias > 0;
  const bool standardized = record.standardized_target;
  if (standardized && (!(record.target_std > 0.0) || !std::isfinite(record.target_std) ||
                       !std::isfinite(record.target_mean))) {
    BadModel("TrainingWeights: the preprocessing record's target_mean and target_std must be "
             "finite, the std > 0");
  }
  // With standardised targets a model trained without a bias feature keeps
  // the mean in a bias term of its own (MakeLinearModel).
  if (model_bias && !with_bias && !standardized) {
    BadModel("TrainingWeights: the model has a bias feature (bias " + std::to_string(model.bias) +
             ") but the training data has none (Preprocessing::bias, --bias)");
  }
  const std::vector<std::int32_t>& original = record.original_column;
  const std::size_t width = !original.empty()
                                ? original.size()
                                : static_cast<std::size_t>(std::max(record.num_cols, 0));
  const std::size_t scaled = record.column_scale.size();
  const auto features = static_cast<std::size_t>(std::max(model.num_features(), 0));
  const double target_std = standardized ? record.target_std : 1.0;
  std::vector<double> w(width + (with_bias ? 1 : 0), 0.0);
  for (std::size_t c = 0; c < width; ++c) {
    const std::size_t j = original.empty() ? c : static_cast<std::size_t>(original[c]);
    if (j >= features) continue;  // the model never saw this feature
    w[c] = model.w[j] * (c < scaled ? record.column_scale[c] : 1.0) / target_std;
  }
  if (with_bias) {
    // The bias term w_b b stays the same with another bias value b; the
    // target's mean comes off it.
    const double term = (model_bias ? model.w[features] * model.bias : 0.0) -
                        (standardized ? record.target_mean : 0.0);
    w[width] = term / (record.bias * target_std);
  }
  for (const double v : w) {
    if (!std::isfinite(v)) BadModel("TrainingWeights: a weight is not finite after scaling");
  }
  return w;
}

double DecisionValue(const LinearModel& model, SparseRow row) {
  CheckUsable(model);
  if (row.nnz < 0) BadModel("DecisionValue: a row has a negative entry count");
  if (row.nnz > 0 && (row.index == nullptr || row.value == nullptr)) {
    BadModel("DecisionValue: a row with entries has no index or value array");
  }
  return Margin(model, row.index, row.value, static_cast<std::size_t>(row.nnz));
}

double DecisionValue(const LinearModel& model, std::span<const std::int32_t> index,
                     std::span<const double> value) {
  CheckUsable(model);
  if (index.size() != value.size()) {
    BadModel("DecisionValue: " + std::to_string(index.size()) + " indices but " +
             std::to_string(value.size()) + " values");
  }
  return Margin(model, index.data(), value.data(), index.size());
}

std::vector<double> Decision(const LinearModel& model, const Dataset& data) {
  std::vector<double> margins(static_cast<std::size_t>(data.num_rows));
  for (std::int64_t i = 0; i < data.num_rows; ++i) {
    margins[static_cast<std::size_t>(i)] = DecisionValue(model, data.row(i));
  }
  return margins;
}

double Probability(const LinearModel& model, double margin) {
  if (model.loss != Loss::kLogistic) {
    throw Error(ErrorKind::kUnsupported, "Probability: a model trained with the " +
                                             std::string(ToString(model.loss)) +
                                             " loss gives no probabilities (logistic models only)");
  }
  if (std::isnan(margin)) throw Error(ErrorKind::kInvalidInput, "Probability: the margin is NaN");
  // exp of a non-positive number only: no overflow for any margin.
  double p = 0.0;
  if (margin >= 0) {
    p = 1.0 / (1.0 + std::exp(-margin));
  } else {
    const double e = std::exp(margin);
    p = e / (1.0 + e);
  }
  return std::clamp(p, std::numeric_limits<double>::denorm_min(), std::nextafter(1.0, 0.0));
}

RegressionMetrics EvaluateRegression(const std::vector<double>& predictions,
                                     const std::vector<double>& targets) {
  RegressionMetrics m;
  const std::size_t n = std::min(predictions.size(), targets.size());
  m.rows = static_cast<std::int64_t>(n);
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  if (n == 0) {
    m.mse = m.rmse = m.mae = m.r2 = kNaN;
    return m;
  }
  const double count = static_cast<double>(n);
  double mean = 0.0;
  for (std::size_t i = 0; i < n; ++i) mean += targets[i];
  mean /= count;
  double sse = 0.0, sae = 0.0, sst = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double e = predictions[i] - targets[i];
    sse += e * e;
    sae += std::fabs(e);
    sst += (targets[i] - mean) * (targets[i] - mean);
  }
  m.mse = sse / count;
  m.rmse = std::sqrt(m.mse);
  m.mae = sae / count;
  m.r2 = sst > 0.0 ? 1.0 - sse / sst : kNaN;
  return m;
}

PredictionMetrics Evaluate(const std::vector<double>& margins, const std::vector<double>& labels) {
  PredictionMetrics m;
  const std::size_t n = std::min(margins.size(), labels.size());
  m.rows = static_cast<std::int64_t>(n);
  if (n == 0) {
    m.accuracy = m.logloss = m.auc = std::numeric_limits<double>::quiet_NaN();
    return m;
  }
  std::size_t correct = 0;
  double logloss = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double y = labels[i] > 0 ? 1.0 : -1.0;
    if ((margins[i] > 0 ? 1.0 : -1.0) == y) ++correct;
    const double z = y * margins[i];
    logloss += z > 0 ? std::log1p(std::exp(-z)) : -z + std::log1p(std::exp(z));
  }
  m.accuracy = static_cast<double>(correct) / static_cast<double>(n);
  m.logloss = logloss / static_cast<double>(n);
  // AUC = (sum of positive ranks - P(P+1)/2) / (P N), ties get their mean rank.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return margins[a] < margins[b]; });
  double rank_sum = 0.0;
  std::size_t positives = 0;
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j < n && margins[order[j]] == margins[order[i]]) ++j;
    const double mean_rank = 0.5 * static_cast<double>(i + 1 + j);  // ranks i+1..j
    for (std::size_t k = i; k < j; ++k) {
      if (labels[order[k]] > 0) {
        rank_sum += mean_rank;
        ++positives;
      }
    }
    i = j;
  }
  const double p = static_cast<double>(positives), q = static_cast<double>(n - positives);
  m.auc = (positives == 0 || positives == n) ? std::numeric_limits<double>::quiet_NaN()
                                             : (rank_sum - p * (p + 1) / 2) / (p * q);
  return m;
}

}  // namespace asyncopt
