// asyncopt: linear models in LIBLINEAR's text model format, and prediction
// metrics.
#pragma once

#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/problem.hpp"

namespace asyncopt {

// A binary linear model in the RAW feature space of the data file: any column
// scaling applied for training is folded into w before saving, so Debian's
// `liblinear-predict` gives the same decisions as `asyncopt predict`.
struct LinearModel {
  std::vector<double> w;   // size num_features (+1 when bias > 0: last entry)
  double bias = -1.0;      // LIBLINEAR's bias: > 0 appends feature value `bias`
  Loss loss = Loss::kLogistic;
  bool l1 = false;         // trained with an l1 term (selects solver_type name)
  bool normalize_rows = false;  // decision on x/||x|| (sign unchanged)
  std::string positive_label = "1";
  std::string negative_label = "-1";
  int num_features() const {
    return static_cast<int>(w.size()) - (bias > 0 ? 1 : 0);
  }
};

// Throws Error(kIo) if the file cannot be written.
void SaveModel(const LinearModel& model, const std::string& path);
// Throws Error(kInvalidInput) naming file and line for a malformed model.
LinearModel LoadModel(const std::string& path);

// Margins x_i . w (+ bias * w_bias) for every row; features beyond the
// model's width are ignored.
std::vector<double> Decision(const LinearModel& model, const Dataset& data);

struct PredictionMetrics {
  double accuracy = 0.0;  // fraction of sign(margin) == label (margin 0 -> -1,
                          // as LIBLINEAR: label[0] only when dec > 0)
  double logloss = 0.0;   // mean -log sigmoid(y * margin)
  double auc = 0.0;       // ROC AUC with ties counted one half
  std::int64_t rows = 0;
};
PredictionMetrics Evaluate(const std::vector<double>& margins,
                           const std::vector<double>& labels);

}  // namespace asyncopt
