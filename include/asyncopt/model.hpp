// asyncopt: linear models in LIBLINEAR's text model format, and prediction
// metrics.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/preprocess.hpp"
#include "asyncopt/problem.hpp"

namespace asyncopt {

// A linear model in the RAW feature space of the data file, a binary
// classifier or a regression model: any column scaling applied for training
// is folded into w before saving, and so is a standardised target (its std
// into w, its mean into the bias term), so Debian's `liblinear-predict` gives
// the same decisions, or the same predicted values, as `asyncopt predict`.
struct LinearModel {
  std::vector<double> w;  // size num_features (+1 when bias > 0: last entry)
  double bias = -1.0;     // LIBLINEAR's bias: > 0 appends feature value `bias`
  Loss loss = Loss::kLogistic;
  bool l1 = false;              // trained with an l1 term (selects solver_type name)
  bool normalize_rows = false;  // decision on x/||x|| (sign unchanged)
  // Real-valued predictions x.w (+ bias term) of a target: LIBLINEAR's
  // regression format (solver_type L2R_L2LOSS_SVR, no label line); the
  // labels below are then unused. Else a classifier of the two labels.
  bool regression = false;
  std::string positive_label = "1";
  std::string negative_label = "-1";
  int num_features() const { return static_cast<int>(w.size()) - (bias > 0 ? 1 : 0); }
};

// Writes `model` in LIBLINEAR's text format (solver_type, nr_class 2, label,
// nr_feature, bias, then one weight per row; with 0 <= bias the last row is
// the bias weight, as LIBLINEAR expects). A regression model is written as
// LIBLINEAR writes its own (solver_type L2R_L2LOSS_SVR, the l2-regularised
// squared-loss regression of `liblinear-train -s 11` with -p 0; also for a
// model trained with l1, which LIBLINEAR's regression has no name for; no
// label line), so liblinear-predict reports its mean squared error. Regular files are replaced
// atomically; symlinks, devices, FIFOs and descriptor names are written as
// io::WriteOutputFile describes. normalize_rows is not part of the format.
// Throws Error(kInvalidInput) for non-finite weights, Error(kInvalidOption)
// for labels that are empty, equal or contain whitespace, or a bias model
// without its bias weight; Error(kIo) naming the path if it cannot be written.
void SaveModel(const LinearModel& model, const std::string& path);

// Reads a LIBLINEAR text model of a binary linear classifier or of a linear
// regression (solver_type L2R_L2LOSS_SVR, L2R_L2LOSS_SVR_DUAL or
// L2R_L1LOSS_SVR_DUAL: regression = true, loss kSquared): what SaveModel and
// LIBLINEAR's own train write (trailing spaces after weights, an optional
// "rho" line, keys in any order). Strict otherwise: every header key at most
// once with exactly its number of values, solver_type/nr_class/label/
// nr_feature/bias all present (a regression model has no label line), two
// different labels, a bare "w" line, then
// exactly nr_feature (+1 when bias >= 0) rows of one finite weight each
// (blank lines only after the last row). A bias of exactly 0 keeps no bias
// weight (its feature is 0). Throws Error(kInvalidInput) with "FILE:LINE:"
// for a malformed file (including an nr_feature larger than the file could
// hold), Error(kIo) if it cannot be read.
LinearModel LoadModel(const std::string& path);

// Builds the model to save from weights `w` trained on data preprocessed
// with `record` (see preprocess.hpp), mapped back to the RAW feature space:
// w_j / record.column_scale[j] for every scaled column (so x . w_raw equals
// x_scaled . w), the bias weight kept last with bias = record.bias (> 0;
// else no bias), normalize_rows = record.normalized_rows, loss = problem.loss
// and l1 = (problem.l1 > 0). With compaction (record.original_column) the
// training columns go back to their raw indices, every other feature of the
// raw width record.raw_num_cols gets weight 0. w must have the training width --
// record.column_scale.size(), else record.num_cols (any width when both are
// 0) -- plus one bias weight when record.bias > 0. Throws
// Error(kInvalidOption) on a size mismatch, a record whose column_scale and
// num_cols disagree, or a scale that is not finite and > 0.
// Note: with normalize_rows AND a column scale the raw-space model divides by
// ||x|| where training divided by ||x_scaled||: same sign without a bias,
// but not the same margin.
// Regression (record.label_kind == kTargets): regression = true, and with
// standardised targets (record.standardized_target, mean mu, std s) the
// model predicts in the original units: every weight times s, and mu joins
// the bias term -- the bias weight becomes s w_b + mu / record.bias, or,
// trained without a bias feature, the model gets one (bias 1, weight mu).
// The file stays a plain LIBLINEAR model. (With normalize_rows and no
// training bias, such a model then normalises over its own features only,
// as a bias model does: test features beyond the training width no longer
// count in ||x||.)
LinearModel MakeLinearModel(std::span<const double> w, const Problem& problem,
                            const PreprocessingRecord& record, std::string positive_label = "1",
                            std::string negative_label = "-1");

// The inverse of MakeLinearModel, for a warm start (Options::initial_w):
// the weights of `model` (raw feature space) in the training space of data
// preprocessed with `record`: compaction (only the record's original
// columns), w_j * column_scale[j], and the bias weight rescaled to the
// record's bias value (the bias term w_b * b is kept; 0 when the model has
// no bias). Features the model lacks start at 0; model features the
// training data lacks are dropped. Standardised targets: the weights are
// divided by the record's target_std after the mean is taken off the bias
// term; trained without a bias feature, what the model's bias term holds
// beyond the mean is dropped (nothing, for a model MakeLinearModel made).
// Throws Error(kInvalidOption) when the model has a bias but the record has
// none (and does not standardise the target).
std::vector<double> TrainingWeights(const LinearModel& model, const PreprocessingRecord& record);

// Margin (decision value) of one raw row: x . w (+ bias * w_bias when
// bias > 0). Indices are 0-based and strictly increasing; features at or
// beyond model.num_features() are ignored (as LIBLINEAR's predict). With
// normalize_rows, the dot product is divided by ||x||_2 of the row (over the
// features the model sees when it has a bias, over all of them otherwise,
// like ApplyRecord); the bias term is not. The value is P(+1)'s log-odds for
// a logistic model (see Probability), a signed score for the others; > 0
// predicts the positive label. Throws Error(kInvalidInput) for a negative
// or non-increasing index, Error(kInvalidOption) when index and value sizes
// differ or a bias model has no bias weight.
double DecisionValue(const LinearModel& model, SparseRow row);
double DecisionValue(const LinearModel& model, std::span<const std::int32_t> index,
                     std::span<const double> value);

// Margins of every row of `data` (DecisionValue of each row).
std::vector<double> Decision(const LinearModel& model, const Dataset& data);

// P(y = +1 | x) = 1 / (1 + exp(-margin)) for a margin from DecisionValue,
// computed without overflow and kept inside the open interval (0, 1): the
// result is at least the smallest positive double and at most the largest
// double below 1, so log(p) and log(1 - p) stay finite. Only Loss::kLogistic
// models are probabilistic: throws Error(kUnsupported) naming the loss
// otherwise, Error(kInvalidInput) for a NaN margin.
double Probability(const LinearModel& model, double margin);

struct PredictionMetrics {
  double accuracy = 0.0;  // fraction of sign(margin) == label (margin 0 -> -1,
                          // as LIBLINEAR: label[0] only when dec > 0)
  double logloss = 0.0;   // mean -log sigmoid(y * margin)
  double auc = 0.0;       // ROC AUC with ties counted one half
  std::int64_t rows = 0;
};
PredictionMetrics Evaluate(const std::vector<double>& margins, const std::vector<double>& labels);

// A regression model's errors: predictions p_i (DecisionValue) against real
// targets y_i. NaN for no rows; r2 is NaN when every target is the same
// (no variance to explain).
struct RegressionMetrics {
  double mse = 0.0;   // (1/n) sum (p_i - y_i)^2: what liblinear-predict reports
  double rmse = 0.0;  // sqrt(mse)
  double mae = 0.0;   // (1/n) sum |p_i - y_i|
  double r2 = 0.0;    // 1 - sum (p_i - y_i)^2 / sum (y_i - mean y)^2
  std::int64_t rows = 0;
};
RegressionMetrics EvaluateRegression(const std::vector<double>& predictions,
                                     const std::vector<double>& targets);

}  // namespace asyncopt
