// Test-only LIBSVM text helpers and a LIBLINEAR runner, so the reference
// solver can be compared with LIBLINEAR run as an external program.
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"

namespace asyncopt::testing {

// Writes +1/-1 labels and 1-based index:value pairs with %.17g values.
inline void WriteLibsvmText(const Dataset& d, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) throw std::runtime_error("cannot write " + path);
  for (std::int64_t i = 0; i < d.num_rows; ++i) {
    std::fprintf(f, "%s", d.labels[i] > 0 ? "+1" : "-1");
    for (auto k = d.row_ptr[i]; k < d.row_ptr[i + 1]; ++k) {
      std::fprintf(f, " %d:%.17g", d.col_index[k] + 1, d.values[k]);
    }
    std::fprintf(f, "\n");
  }
  std::fclose(f);
}

// Minimal reader for well-formed LIBSVM text with labels +1/-1 (or any
// label > 0 mapped to +1). No error reporting beyond an exception.
inline Dataset ReadLibsvmText(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  Dataset d;
  d.source = path;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream ls(line);
    double label = 0.0;
    ls >> label;
    d.labels.push_back(label > 0 ? 1.0 : -1.0);
    std::string item;
    while (ls >> item) {
      const auto colon = item.find(':');
      const int j = std::stoi(item.substr(0, colon)) - 1;
      const double v = std::stod(item.substr(colon + 1));
      if (v == 0.0) continue;
      d.col_index.push_back(j);
      d.values.push_back(v);
      d.num_cols = std::max(d.num_cols, j + 1);
    }
    d.row_ptr.push_back(static_cast<std::int64_t>(d.col_index.size()));
  }
  d.num_rows = static_cast<std::int64_t>(d.labels.size());
  return d;
}

// A fresh, empty directory removed when the object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("asyncopt_" + tag + "_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter.fetch_add(1)));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline bool HaveLiblinear() {
  return std::system("command -v liblinear-train >/dev/null 2>&1") == 0;
}

// Runs `liblinear-train <args> data model` and returns the weights in the
// data's column space, oriented so that positive margins mean label +1.
// Empty on failure.
inline std::vector<double> TrainLiblinear(const std::string& args, const std::string& data_path,
                                          const std::string& model_path, std::int32_t num_cols) {
  const std::string cmd = "liblinear-train -q " + args + " '" + data_path + "' '" + model_path +
                          "' >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return {};
  std::ifstream in(model_path);
  std::string word;
  double first_label = 1.0;
  std::int32_t nr_feature = -1;
  while (in >> word && word != "w") {
    if (word == "label") {
      in >> first_label;
    } else if (word == "nr_feature") {
      in >> nr_feature;
    }
  }
  if (word != "w" || nr_feature < 0) return {};
  std::vector<double> w(static_cast<std::size_t>(num_cols), 0.0);
  for (std::int32_t j = 0; j < nr_feature; ++j) {
    double v = 0.0;
    if (!(in >> v)) return {};
    if (j < num_cols) w[static_cast<std::size_t>(j)] = first_label > 0 ? v : -v;
  }
  return w;
}

}  // namespace asyncopt::testing
