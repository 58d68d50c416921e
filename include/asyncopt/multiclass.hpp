// asyncopt: multiclass models (the softmax model and the one-hidden-layer
// perceptron that spars-ams trains on class ids), their files, predictions
// and metrics.
//
// Files. A softmax model of K >= 3 classes is written in LIBLINEAR's
// multiclass text format, so Debian's `liblinear-predict` gives the same
// predictions as `asyncopt predict`:
//
//   solver_type L2R_LR
//   nr_class K
//   label l_0 ... l_{K-1}
//   nr_feature d
//   bias b            (-1: none; > 0: a feature of value b is appended)
//   w
//   W[0][0] ... W[0][K-1]          (one line per feature, d (+1) lines)
//
// (with K = 2 the model is binary: model.hpp's LinearModel with w = W[:,0] -
// W[:,1], label l_0 positive, as LIBLINEAR writes two classes).
//
// The perceptron has its own text format, version 1:
//
//   asyncopt-mlp 1
//   nr_class K
//   label l_0 ... l_{K-1}
//   nr_feature d
//   hidden H
//   activation relu
//   W1                 then d lines of H values (input -> hidden)
//   b1                 then 1 line of H values
//   W2                 then H lines of K values (hidden -> output)
//   b2                 then 1 line of K values
//
// prediction: argmax_k (max(0, x W1 + b1) W2 + b2)_k, labels[k]. Values are
// written with 17 significant digits (they read back to the same bits).
// Both formats hold the model in the RAW feature space: column scaling and a
// bias feature used in training are folded in (the bias feature's row of W1
// into b1).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/preprocess.hpp"
#include "asyncopt/solver.hpp"

namespace asyncopt {

struct MulticlassModel {
  ModelKind kind = ModelKind::kSoftmax;  // kSoftmax or kMlp
  std::vector<double> labels;            // the original label of each class, K = size
  std::int32_t features = 0;             // d: raw features the model weighs
  int hidden = 0;                        // mlp: H
  double bias = -1.0;                    // softmax: LIBLINEAR's bias (> 0: appended feature)
  // softmax: (d (+1 with bias)) x K, feature-major (w[j K + k]); mlp: W1 (d x
  // H, feature-major), b1 (H), W2 (H x K, row-major), b2 (K).
  std::vector<double> w;
  int num_classes() const { return static_cast<int>(labels.size()); }
};

// The model to save from parameters `theta` trained (src/models layout) on
// data preprocessed with `record`, in the raw feature space (column scales
// and compaction undone as MakeLinearModel does; a bias feature kept as
// LIBLINEAR's bias for softmax, folded into b1 for the perceptron).
// `labels` are the training data's class_labels. Throws
// Error(kInvalidOption) for a size mismatch or a record with row
// normalisation (which neither format can express).
MulticlassModel MakeMulticlassModel(ModelKind kind, std::span<const double> theta, int hidden,
                                    const std::vector<double>& labels, const PreprocessingRecord& record);

// Writes the formats above (K >= 3 softmax, or any perceptron; a K = 2
// softmax is saved through SaveModel by the caller). Regular files are
// replaced atomically. Throws Error(kInvalidInput) for non-finite weights,
// Error(kIo) naming the path when it cannot be written.
void SaveMulticlassModel(const MulticlassModel& model, const std::string& path);

// True when `path` starts like one of these two formats (an mlp file, or a
// LIBLINEAR file with nr_class >= 3), false for a binary or regression
// LIBLINEAR file (model.hpp's LoadModel). Error(kIo) when it cannot be read.
bool IsMulticlassModelFile(const std::string& path);

// Reads either format strictly: every key once, K >= 3 distinct labels
// (an mlp may have K >= 2), exact line and value counts, finite values,
// a known version. Error(kInvalidInput) "FILE:LINE: ..." for a malformed
// file, Error(kIo) when it cannot be read.
MulticlassModel LoadMulticlassModel(const std::string& path);

// The predicted class id (index into model.labels) of every row of `data`;
// features at or beyond model.features are ignored.
std::vector<int> PredictClasses(const MulticlassModel& model, const Dataset& data);

struct MulticlassMetrics {
  double accuracy = 0.0;
  std::int64_t rows = 0;
  // confusion[t][p]: rows of true class t predicted as class p (K x K).
  std::vector<std::vector<std::int64_t>> confusion;
};
// Against class ids `truth` (Dataset::labels of data read with class_ids
// and the model's labels as expected_labels).
MulticlassMetrics EvaluateMulticlass(const std::vector<int>& predicted, const std::vector<double>& truth,
                                     int classes);

}  // namespace asyncopt
