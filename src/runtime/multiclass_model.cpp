// Multiclass model files, predictions and metrics (asyncopt/multiclass.hpp).
#include "asyncopt/multiclass.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "asyncopt/error.hpp"
#include "asyncopt/model.hpp"
#include "io/labels.hpp"
#include "io/output_file.hpp"
#include "runtime/model_text.hpp"

namespace asyncopt {
namespace {

using runtime::model_text::BadModel;
using runtime::model_text::LineReader;
using runtime::model_text::Malformed;
using runtime::model_text::ParseDouble;
using runtime::model_text::ReadWholeFile;
using runtime::model_text::Tokens;

constexpr std::string_view kMlpMagic = "asyncopt-mlp";
constexpr int kMlpVersion = 1;

// Column c (of `columns`) of a feature-major matrix with `rows` rows.
std::vector<double> Column(std::span<const double> m, std::size_t rows, std::size_t columns, std::size_t c) {
  std::vector<double> out(rows);
  for (std::size_t r = 0; r < rows; ++r) out[r] = m[r * columns + c];
  return out;
}

// One column of trained input weights (training width + bias weight) in the
// raw feature space: the linear model's own mapping (scales, compaction).
LinearModel RawColumn(std::span<const double> column, const PreprocessingRecord& record) {
  return MakeLinearModel(column, Problem{}, record);
}

void AppendValues(std::string* text, std::span<const double> values) {
  char buf[32];
  for (std::size_t k = 0; k < values.size(); ++k) {
    std::snprintf(buf, sizeof buf, k + 1 < values.size() ? "%.17g " : "%.17g\n", values[k]);
    *text += buf;
  }
}

std::string LabelsLine(const std::vector<double>& labels) {
  std::string line = "label";
  for (const double v : labels) {
    line += ' ';
    line += io::LabelText(v);
  }
  line += '\n';
  return line;
}

}  // namespace

MulticlassModel MakeMulticlassModel(ModelKind kind, std::span<const double> theta, int hidden,
                                    const std::vector<double>& labels, const PreprocessingRecord& record) {
  if (kind != ModelKind::kSoftmax && kind != ModelKind::kMlp) {
    BadModel("MakeMulticlassModel: the model kind must be softmax or mlp");
  }
  if (record.normalized_rows) {
    BadModel("MakeMulticlassModel: a model trained with --normalize-rows cannot be written (neither "
             "file format records the normalisation)");
  }
  const auto K = labels.size();
  const std::size_t extra = record.bias > 0 ? 1 : 0;
  const std::size_t width = record.column_scale.empty() ? static_cast<std::size_t>(std::max(record.num_cols, 0))
                                                        : record.column_scale.size();
  const std::size_t rows = width + extra;  // trained input rows
  const std::size_t H = kind == ModelKind::kMlp ? static_cast<std::size_t>(std::max(hidden, 0)) : 0;
  const std::size_t columns = kind == ModelKind::kSoftmax ? K : H;
  const std::size_t expect = kind == ModelKind::kSoftmax ? rows * K : rows * H + H + H * K + K;
  if (K < 2 || theta.size() != expect || (kind == ModelKind::kMlp && H == 0)) {
    BadModel("MakeMulticlassModel: " + std::to_string(theta.size()) + " parameters for " + std::to_string(K) +
             " classes, " + std::to_string(rows) + " input rows" +
             (kind == ModelKind::kMlp ? " and " + std::to_string(H) + " hidden units" : "") + " (expected " +
             std::to_string(expect) + ")");
  }
  MulticlassModel model;
  model.kind = kind;
  model.labels = labels;
  model.hidden = static_cast<int>(H);
  // Each input column through the linear model's raw-space mapping.
  std::vector<LinearModel> raw;
  for (std::size_t c = 0; c < columns; ++c) raw.push_back(RawColumn(Column(theta, rows, columns, c), record));
  const std::size_t raw_rows = raw.front().w.size();  // raw features (+1 bias weight)
  const std::size_t raw_features = raw_rows - extra;
  model.features = static_cast<std::int32_t>(raw_features);
  if (kind == ModelKind::kSoftmax) {
    model.bias = extra ? record.bias : -1.0;
    model.w.assign(raw_rows * K, 0.0);
    for (std::size_t j = 0; j < raw_rows; ++j) {
      for (std::size_t k = 0; k < K; ++k) model.w[j * K + k] = raw[k].w[j];
    }
    return model;
  }
  // The perceptron: W1 (raw features x H), b1 with the bias feature folded
  // in (its value times its weights), then W2 and b2 as trained.
  model.w.assign(raw_features * H + H + H * K + K, 0.0);
  for (std::size_t j = 0; j < raw_features; ++j) {
    for (std::size_t h = 0; h < H; ++h) model.w[j * H + h] = raw[h].w[j];
  }
  const std::size_t b1 = raw_features * H, tail = rows * H;
  for (std::size_t h = 0; h < H; ++h) {
    model.w[b1 + h] = theta[tail + h] + (extra ? record.bias * raw[h].w[raw_features] : 0.0);
  }
  std::copy(theta.begin() + static_cast<std::ptrdiff_t>(tail + H), theta.end(),
            model.w.begin() + static_cast<std::ptrdiff_t>(b1 + H));
  return model;
}

void SaveMulticlassModel(const MulticlassModel& model, const std::string& path) {
  for (const double v : model.w) {
    if (!std::isfinite(v)) throw Error(ErrorKind::kInvalidInput, path + ": refusing to write a model with non-finite weights");
  }
  const auto K = static_cast<std::size_t>(model.num_classes());
  const auto d = static_cast<std::size_t>(model.features);
  std::string text;
  io::OutputFile file(path);
  auto flush = [&] {
    if (text.size() >= (1u << 20)) {
      file.Write(text);
      text.clear();
    }
  };
  char line[96];
  if (model.kind == ModelKind::kSoftmax) {
    if (K < 3) BadModel(path + ": a softmax model of " + std::to_string(K) + " classes is a binary LIBLINEAR model (SaveModel)");
    const std::size_t rows = d + (model.bias > 0 ? 1 : 0);
    if (model.w.size() != rows * K) BadModel(path + ": the softmax model's weights do not match its shape");
    text = "solver_type L2R_LR\nnr_class " + std::to_string(K) + "\n" + LabelsLine(model.labels);
    std::snprintf(line, sizeof line, "nr_feature %zu\nbias %.17g\nw\n", d, model.bias > 0 ? model.bias : -1.0);
    text += line;
    for (std::size_t j = 0; j < rows; ++j) {
      AppendValues(&text, std::span<const double>(model.w).subspan(j * K, K));
      flush();
    }
  } else {
    const auto H = static_cast<std::size_t>(model.hidden);
    if (K < 2 || H == 0 || model.w.size() != d * H + H + H * K + K) {
      BadModel(path + ": the perceptron's weights do not match its shape");
    }
    std::snprintf(line, sizeof line, "%s %d\nnr_class %zu\n", kMlpMagic.data(), kMlpVersion, K);
    text = line + LabelsLine(model.labels);
    std::snprintf(line, sizeof line, "nr_feature %zu\nhidden %zu\nactivation relu\n", d, H);
    text += line;
    const std::span<const double> w(model.w);
    text += "W1\n";
    for (std::size_t j = 0; j < d; ++j) {
      AppendValues(&text, w.subspan(j * H, H));
      flush();
    }
    text += "b1\n";
    AppendValues(&text, w.subspan(d * H, H));
    text += "W2\n";
    for (std::size_t h = 0; h < H; ++h) {
      AppendValues(&text, w.subspan(d * H + H + h * K, K));
      flush();
    }
    text += "b2\n";
    AppendValues(&text, w.subspan(d * H + H + H * K, K));
  }
  file.Write(text);
  file.Commit();
}

bool IsMulticlassModelFile(const std::string& path) {
  const std::string text = ReadWholeFile(path);
  LineReader lines(text);
  std::string_view line;
  while (lines.Next(&line)) {
    const std::vector<std::string_view> t = Tokens(line);
    if (t.empty()) continue;
    if (t[0] == kMlpMagic) return true;
    if (t[0] == "w") return false;
    if (t[0] == "nr_class" && t.size() == 2) {
      double k = 0;
      try {
        k = ParseDouble(t[1], path, lines.number());
      } catch (const Error&) {
        return false;  // LoadModel names the fault
      }
      return k >= 3;
    }
  }
  return false;
}

MulticlassModel LoadMulticlassModel(const std::string& path) {
  const std::string text = ReadWholeFile(path);
  LineReader lines(text);
  std::string_view line;
  MulticlassModel model;
  auto next = [&](const char* what) -> std::vector<std::string_view> {
    if (!lines.Next(&line)) Malformed(path, lines.number() + 1, "the file ends before " + std::string(what));
    return Tokens(line);
  };
  auto count = [&](std::string_view token, double lo, double hi) {
    const double v = ParseDouble(token, path, lines.number());
    if (v != std::trunc(v) || v < lo || v > hi) {
      Malformed(path, lines.number(), "'" + std::string(token) + "' is not an integer in [" + io::LabelText(lo) + ", " +
                                          io::LabelText(hi) + "]");
    }
    return static_cast<std::int64_t>(v);
  };
  auto key = [&](const char* name, std::size_t values) {
    const std::vector<std::string_view> t = next(name);
    if (t.empty() || t[0] != name || (values > 0 && t.size() != values + 1)) {
      Malformed(path, lines.number(), "expected '" + std::string(name) + "'" +
                                          (values > 0 ? " and " + std::to_string(values) + " value(s)" : ""));
    }
    return t;
  };
  auto values = [&](std::size_t n, double* out, const char* what) {
    const std::vector<std::string_view> t = next(what);
    if (t.size() != n) {
      Malformed(path, lines.number(), std::string(what) + ": " + std::to_string(t.size()) + " values, expected " +
                                          std::to_string(n));
    }
    for (std::size_t k = 0; k < n; ++k) out[k] = ParseDouble(t[k], path, lines.number());
  };
  auto read_labels = [&](std::int64_t K) {
    const std::vector<std::string_view> t = key("label", static_cast<std::size_t>(K));
    for (std::size_t k = 1; k < t.size(); ++k) {
      const double v = ParseDouble(t[k], path, lines.number());
      if (std::find(model.labels.begin(), model.labels.end(), v) != model.labels.end()) {
        Malformed(path, lines.number(), "label " + std::string(t[k]) + " appears twice");
      }
      model.labels.push_back(v);
    }
  };
  std::vector<std::string_view> first = next("the header");
  constexpr double kMaxCount = 2147483647.0;
  if (!first.empty() && first[0] == kMlpMagic) {
    model.kind = ModelKind::kMlp;
    if (first.size() != 2 || count(first[1], 1, kMaxCount) != kMlpVersion) {
      Malformed(path, lines.number(), "not an asyncopt-mlp version " + std::to_string(kMlpVersion) + " file");
    }
    const std::int64_t K = count(key("nr_class", 1)[1], 2, 100000);
    read_labels(K);
    const std::int64_t d = count(key("nr_feature", 1)[1], 0, kMaxCount);
    const std::int64_t H = count(key("hidden", 1)[1], 1, 1 << 20);
    const std::vector<std::string_view> act = key("activation", 1);
    if (act[1] != "relu") Malformed(path, lines.number(), "activation '" + std::string(act[1]) + "' (only relu is known)");
    // The file must hold what it announces: bound the allocation by its size.
    const double announced = static_cast<double>(d) * H + H + static_cast<double>(H) * K + K;
    if (announced * 2 > static_cast<double>(text.size())) {
      Malformed(path, lines.number(), "announces " + io::LabelText(announced) + " weights, more than the file can hold");
    }
    model.features = static_cast<std::int32_t>(d);
    model.hidden = static_cast<int>(H);
    model.w.assign(static_cast<std::size_t>(announced), 0.0);
    double* w = model.w.data();
    key("W1", 0);
    for (std::int64_t j = 0; j < d; ++j) values(static_cast<std::size_t>(H), w + j * H, "a W1 row");
    key("b1", 0);
    values(static_cast<std::size_t>(H), w + d * H, "b1");
    key("W2", 0);
    for (std::int64_t h = 0; h < H; ++h) values(static_cast<std::size_t>(K), w + d * H + H + h * K, "a W2 row");
    key("b2", 0);
    values(static_cast<std::size_t>(K), w + d * H + H + H * K, "b2");
  } else {
    // LIBLINEAR's multiclass format.
    model.kind = ModelKind::kSoftmax;
    if (first.size() != 2 || first[0] != "solver_type") Malformed(path, lines.number(), "expected 'solver_type'");
    const std::int64_t K = count(key("nr_class", 1)[1], 3, 100000);
    read_labels(K);
    const std::int64_t d = count(key("nr_feature", 1)[1], 0, kMaxCount);
    model.bias = ParseDouble(key("bias", 1)[1], path, lines.number());
    key("w", 0);
    const std::int64_t rows = d + (model.bias >= 0 ? 1 : 0);
    if (static_cast<double>(rows) * K * 2 > static_cast<double>(text.size())) {
      Malformed(path, lines.number(), "announces " + std::to_string(rows) + " weight rows, more than the file can hold");
    }
    model.features = static_cast<std::int32_t>(d);
    model.w.assign(static_cast<std::size_t>(rows * K), 0.0);
    for (std::int64_t j = 0; j < rows; ++j) values(static_cast<std::size_t>(K), model.w.data() + j * K, "a weight row");
    if (!(model.bias > 0)) {  // bias 0 (a zero feature) or none: no bias row used
      model.w.resize(static_cast<std::size_t>(d * K));
      model.bias = -1.0;
    }
  }
  while (lines.Next(&line)) {
    if (!Tokens(line).empty()) Malformed(path, lines.number(), "unexpected content after the last weights");
  }
  return model;
}

std::vector<int> PredictClasses(const MulticlassModel& model, const Dataset& data) {
  const auto K = static_cast<std::size_t>(model.num_classes());
  const auto d = model.features;
  std::vector<int> out(static_cast<std::size_t>(data.num_rows));
  std::vector<double> z(K), a(static_cast<std::size_t>(model.hidden));
  const std::span<const double> w(model.w);
  for (std::int64_t i = 0; i < data.num_rows; ++i) {
    const SparseRow row = data.row(i);
    if (model.kind == ModelKind::kSoftmax) {
      std::fill(z.begin(), z.end(), 0.0);
      for (std::int32_t q = 0; q < row.nnz && row.index[q] < d; ++q) {
        const double* wj = w.data() + static_cast<std::size_t>(row.index[q]) * K;
        for (std::size_t k = 0; k < K; ++k) z[k] += row.value[q] * wj[k];
      }
      if (model.bias > 0) {
        const double* wb = w.data() + static_cast<std::size_t>(d) * K;
        for (std::size_t k = 0; k < K; ++k) z[k] += model.bias * wb[k];
      }
    } else {
      const auto H = static_cast<std::size_t>(model.hidden);
      const std::size_t o_b1 = static_cast<std::size_t>(d) * H;
      std::copy(w.begin() + static_cast<std::ptrdiff_t>(o_b1), w.begin() + static_cast<std::ptrdiff_t>(o_b1 + H),
                a.begin());
      for (std::int32_t q = 0; q < row.nnz && row.index[q] < d; ++q) {
        const double* wj = w.data() + static_cast<std::size_t>(row.index[q]) * H;
        for (std::size_t h = 0; h < H; ++h) a[h] += row.value[q] * wj[h];
      }
      const double* w2 = w.data() + o_b1 + H;
      std::copy(w2 + H * K, w2 + H * K + K, z.begin());  // b2
      for (std::size_t h = 0; h < H; ++h) {
        const double ah = std::max(0.0, a[h]);
        if (ah == 0.0) continue;
        for (std::size_t k = 0; k < K; ++k) z[k] += ah * w2[h * K + k];
      }
    }
    out[static_cast<std::size_t>(i)] = static_cast<int>(std::max_element(z.begin(), z.end()) - z.begin());
  }
  return out;
}

MulticlassMetrics EvaluateMulticlass(const std::vector<int>& predicted, const std::vector<double>& truth,
                                     int classes) {
  if (predicted.size() != truth.size()) BadModel("EvaluateMulticlass: predictions and labels differ in number");
  MulticlassMetrics m;
  const auto K = static_cast<std::size_t>(std::max(classes, 0));
  m.confusion.assign(K, std::vector<std::int64_t>(K, 0));
  m.rows = static_cast<std::int64_t>(truth.size());
  std::int64_t right = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    const auto t = static_cast<std::size_t>(truth[i]);
    const auto p = static_cast<std::size_t>(predicted[i]);
    if (t >= K || p >= K) BadModel("EvaluateMulticlass: a class id outside [0, " + std::to_string(K) + ")");
    ++m.confusion[t][p];
    right += t == p;
  }
  m.accuracy = m.rows > 0 ? static_cast<double>(right) / static_cast<double>(m.rows)
                          : std::numeric_limits<double>::quiet_NaN();
  return m;
}

}  // namespace asyncopt
