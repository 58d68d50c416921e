// Test-only helpers to compare the reference solver with LIBLINEAR run as an
// external program (data files are written and read with the library's own
// WriteLibsvm / ReadLibsvm).
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "support/temp_dir.hpp"

namespace asyncopt::testing {

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
