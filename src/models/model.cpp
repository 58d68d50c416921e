// MakeModel's checks and dispatch, and the whole-data objective and
// predictions over any model.
#include <cmath>
#include <limits>
#include <string>

#include "asyncopt/error.hpp"
#include "kernels/dense_simd.hpp"
#include "models/models.hpp"
#include "problem/parallel.hpp"

namespace asyncopt::models {
namespace {

const char* KindName(ModelKind kind) {
  switch (kind) {
    case ModelKind::kLinear: return "linear";
    case ModelKind::kSoftmax: return "softmax";
    case ModelKind::kMlp: return "mlp";
  }
  return "?";
}

}  // namespace

std::unique_ptr<Model> MakeModel(const ModelSpec& spec, const Dataset& data) {
  const std::string name = std::string("the ") + KindName(spec.kind) + " model";
  kernels::Dense();  // a bad ASYNCOPT_ISA is refused here, before any thread runs
  if (!(spec.l2 >= 0.0) || !std::isfinite(spec.l2)) {
    throw Error(ErrorKind::kInvalidOption, "l2 = " + std::to_string(spec.l2) + ": must be finite and >= 0");
  }
  if (spec.features < 1) {
    throw Error(ErrorKind::kInvalidInput, name + " needs at least one feature; the data have none");
  }
  if (spec.kind == ModelKind::kLinear) {
    if (data.label_kind == LabelKind::kClassIds) {
      throw Error(ErrorKind::kInvalidInput,
                  name + " takes -1/+1 classes or real targets, but the data hold " +
                      std::to_string(data.class_labels.size()) +
                      " class ids: use --model-kind softmax or mlp for multiclass data");
    }
    if (data.label_kind == LabelKind::kTargets && spec.loss != Loss::kSquared) {
      throw Error(ErrorKind::kInvalidInput,
                  name + " with a classification loss takes -1/+1 classes, but the data hold "
                         "real targets: use --loss squared");
    }
    return MakeLinearModel(spec);
  }
  if (spec.kind != ModelKind::kSoftmax && spec.kind != ModelKind::kMlp) {
    throw Error(ErrorKind::kInvalidOption,
                "model kind " + std::to_string(static_cast<int>(spec.kind)) + " is not a ModelKind");
  }
  if (data.label_kind != LabelKind::kClassIds) {
    throw Error(ErrorKind::kInvalidInput,
                name + " takes class ids (multiclass labels, read with class_ids), but the data "
                       "hold " +
                    (data.label_kind == LabelKind::kTargets ? "real targets" : "-1/+1 classes"));
  }
  if (spec.classes < 2 || spec.classes != data.num_classes()) {
    throw Error(ErrorKind::kInvalidInput,
                name + " needs at least 2 classes and the data's count; the model has " +
                    std::to_string(spec.classes) + ", the data " + std::to_string(data.num_classes()));
  }
  if (spec.classes > kMaxClasses) {
    throw Error(ErrorKind::kInvalidInput,
                name + ": " + std::to_string(spec.classes) + " classes is more than " +
                    std::to_string(kMaxClasses) +
                    "; are the labels real targets (use --loss squared with --model-kind linear)?");
  }
  // The parameter count must fit: d K, or d H + H + H K + K.
  const double wide = spec.kind == ModelKind::kSoftmax
                          ? static_cast<double>(spec.features) * spec.classes
                          : (static_cast<double>(spec.features) + 1.0 + spec.classes) * spec.hidden +
                                spec.classes;
  if (spec.kind == ModelKind::kMlp && (spec.hidden < 1 || spec.hidden > kMaxHidden)) {
    throw Error(ErrorKind::kInvalidOption, "hidden = " + std::to_string(spec.hidden) +
                                               ": the hidden width must be in [1, " +
                                               std::to_string(kMaxHidden) + "]");
  }
  if (wide > static_cast<double>(std::numeric_limits<std::int32_t>::max())) {
    throw Error(ErrorKind::kInvalidOption,
                name + " would have " + std::to_string(wide) +
                    " parameters, more than 2^31 - 1: fewer features, classes or hidden units");
  }
  return spec.kind == ModelKind::kSoftmax ? MakeSoftmaxModel(spec) : MakeMlpModel(spec);
}

double LossTotal(const Model& model, const Dataset& data, std::span<const double> theta, int threads) {
  detail::Parallel parallel(threads);
  return parallel.Sum(data.num_rows, detail::kRowBlock, [&](std::int64_t b, std::int64_t e) {
    Workspace ws;
    return model.LossSum(data, b, e, theta, ws);
  });
}

double Objective(const Model& model, const Dataset& data, std::span<const double> theta, int threads) {
  return LossTotal(model, data, theta, threads) / static_cast<double>(data.num_rows) + model.Regulariser(theta);
}

std::vector<double> PredictAll(const Model& model, const Dataset& data, std::span<const double> theta,
                               int threads) {
  std::vector<double> out(static_cast<std::size_t>(data.num_rows));
  detail::Parallel parallel(threads);
  parallel.For(data.num_rows, detail::kRowBlock, [&](std::int64_t b, std::int64_t e) {
    Workspace ws;
    model.Predict(data, b, e, theta, std::span<double>(out).subspan(static_cast<std::size_t>(b)), ws);
  });
  return out;
}

ModelSpec SpecFor(const Dataset& data, const Problem& problem, const Options& options) {
  ModelSpec spec;
  spec.kind = options.model_kind;
  spec.features = data.num_cols;
  spec.classes = data.num_classes();
  spec.loss = problem.loss;
  spec.l2 = problem.l2;
  spec.hidden = options.hidden;
  return spec;
}

double Accuracy(const Model& model, const Dataset& test, std::span<const double> theta, int threads) {
  if (test.label_kind == LabelKind::kTargets || test.num_rows == 0) return std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> predicted = PredictAll(model, test, theta, threads);
  std::int64_t right = 0;
  for (std::size_t i = 0; i < predicted.size(); ++i) right += predicted[i] == test.labels[i];
  return static_cast<double>(right) / static_cast<double>(test.num_rows);
}

}  // namespace asyncopt::models
