// Linear models in LIBLINEAR's text model format (so Debian's
// liblinear-predict reads them), decision values and prediction metrics.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>
#include <string>

#include "asyncopt/error.hpp"
#include "asyncopt/model.hpp"

namespace asyncopt {
namespace {

// LIBLINEAR's solver_type names: they only select how liblinear-predict
// reports; every asyncopt model is a plain linear decision function.
const char* SolverTypeName(const LinearModel& m) {
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

bool LossFromSolverType(const std::string& name, Loss* loss, bool* l1) {
  struct Entry {
    const char* name;
    Loss loss;
    bool l1;
  };
  static const Entry kTable[] = {
      {"L2R_LR", Loss::kLogistic, false},         {"L1R_LR", Loss::kLogistic, true},
      {"L2R_LR_DUAL", Loss::kLogistic, false},    {"L2R_L1LOSS_SVC_DUAL", Loss::kHinge, false},
      {"L2R_L2LOSS_SVC", Loss::kSquaredHinge, false},
      {"L2R_L2LOSS_SVC_DUAL", Loss::kSquaredHinge, false},
      {"L1R_L2LOSS_SVC", Loss::kSquaredHinge, true},
  };
  for (const auto& e : kTable) {
    if (name == e.name) {
      *loss = e.loss;
      *l1 = e.l1;
      return true;
    }
  }
  return false;
}

[[noreturn]] void Malformed(const std::string& path, int line, const std::string& what) {
  throw Error(ErrorKind::kInvalidInput,
              path + ":" + std::to_string(line) + ": malformed model file: " + what);
}

double ParseDouble(const std::string& token, const std::string& path, int line) {
  double v = 0.0;
  const char* b = token.data();
  const char* e = b + token.size();
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e || !std::isfinite(v)) {
    Malformed(path, line, "expected a finite number, found '" + token + "'");
  }
  return v;
}

}  // namespace

void SaveModel(const LinearModel& model, const std::string& path) {
  for (double v : model.w) {
    if (!std::isfinite(v)) {
      throw Error(ErrorKind::kInvalidInput, path + ": refusing to write a model with non-finite weights");
    }
  }
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) {
    throw Error(ErrorKind::kIo, path + ": cannot write model: " + std::strerror(errno));
  }
  std::fprintf(f, "solver_type %s\nnr_class 2\nlabel %s %s\nnr_feature %d\nbias %.17g\nw\n",
               SolverTypeName(model), model.positive_label.c_str(),
               model.negative_label.c_str(), model.num_features(), model.bias);
  for (double v : model.w) std::fprintf(f, "%.17g \n", v);
  const bool ok = std::fflush(f) == 0 && std::ferror(f) == 0;
  if (std::fclose(f) != 0 || !ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error(ErrorKind::kIo, path + ": cannot write model: " + std::strerror(errno));
  }
}

LinearModel LoadModel(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(ErrorKind::kIo, path + ": cannot open model: " + std::strerror(errno));
  LinearModel model;
  std::string line;
  int line_no = 0;
  long nr_feature = -1;
  bool have_labels = false, have_bias = false;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream fields(line);
    std::string key;
    fields >> key;
    if (key.empty()) continue;
    if (key == "w") break;
    if (key == "solver_type") {
      std::string name;
      fields >> name;
      if (!LossFromSolverType(name, &model.loss, &model.l1)) {
        Malformed(path, line_no, "unsupported solver_type '" + name + "' (binary linear classifiers only)");
      }
    } else if (key == "nr_class") {
      std::string v;
      fields >> v;
      if (v != "2") Malformed(path, line_no, "nr_class must be 2, found '" + v + "'");
    } else if (key == "label") {
      fields >> model.positive_label >> model.negative_label;
      if (model.negative_label.empty()) Malformed(path, line_no, "expected two labels");
      have_labels = true;
    } else if (key == "nr_feature") {
      std::string v;
      fields >> v;
      nr_feature = static_cast<long>(ParseDouble(v, path, line_no));
      if (nr_feature < 0 || nr_feature > std::numeric_limits<std::int32_t>::max()) {
        Malformed(path, line_no, "nr_feature out of range: '" + v + "'");
      }
    } else if (key == "bias") {
      std::string v;
      fields >> v;
      model.bias = ParseDouble(v, path, line_no);
      have_bias = true;
    } else if (key == "rho") {
      continue;  // one-class SVM field of newer LIBLINEAR versions: not used
    } else {
      Malformed(path, line_no, "unknown key '" + key + "'");
    }
  }
  if (nr_feature < 0 || !have_labels || !have_bias) {
    Malformed(path, line_no, "header lacks nr_feature, label or bias before 'w'");
  }
  const long n = nr_feature + (model.bias > 0 ? 1 : 0);
  model.w.reserve(static_cast<std::size_t>(n));
  std::string token;
  while (static_cast<long>(model.w.size()) < n && std::getline(in, line)) {
    ++line_no;
    std::istringstream fields(line);
    if (!(fields >> token)) continue;
    model.w.push_back(ParseDouble(token, path, line_no));
  }
  if (static_cast<long>(model.w.size()) != n) {
    Malformed(path, line_no, "expected " + std::to_string(n) + " weights, found " +
                                 std::to_string(model.w.size()));
  }
  return model;
}

std::vector<double> Decision(const LinearModel& model, const Dataset& data) {
  const std::int32_t nf = model.num_features();
  std::vector<double> margins(static_cast<std::size_t>(data.num_rows));
  for (std::int64_t i = 0; i < data.num_rows; ++i) {
    const SparseRow row = data.row(i);
    double dot = 0.0, norm2 = 0.0;
    for (std::int32_t k = 0; k < row.nnz; ++k) {
      norm2 += row.value[k] * row.value[k];
      if (row.index[k] < nf) dot += model.w[static_cast<std::size_t>(row.index[k])] * row.value[k];
    }
    if (model.normalize_rows && norm2 > 0.0) dot /= std::sqrt(norm2);
    if (model.bias > 0) dot += model.w[static_cast<std::size_t>(nf)] * model.bias;
    margins[static_cast<std::size_t>(i)] = dot;
  }
  return margins;
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
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return margins[a] < margins[b]; });
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
  m.auc = (positives == 0 || positives == n)
              ? std::numeric_limits<double>::quiet_NaN()
              : (rank_sum - p * (p + 1) / 2) / (p * q);
  return m;
}

}  // namespace asyncopt
