// The label rule of ReadOptions, shared by the whole-file reader and the
// reader of parts (see io/labels.hpp).
#include "io/labels.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "asyncopt/error.hpp"

namespace asyncopt::io {
namespace {

bool Contains(std::span<const double> set, double v) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

// "FILE: no row has a label in --positive-labels (...); the labels found
// are ...": the smallest distinct labels, up to five.
[[noreturn]] void ThrowNoPositiveRow(const std::string& name, const ReadOptions& options,
                                     std::span<const double> all_labels) {
  constexpr std::size_t kShown = 5;
  const std::size_t distinct = all_labels.size();
  const bool cut = distinct > kShown;
  std::string message = name + ": no row has a label in --positive-labels (" +
                        JoinLabels(options.positive_labels) + "); the label" +
                        (distinct == 1 ? " found is " : "s found are ") +
                        JoinLabels(all_labels.first(std::min(distinct, kShown)));
  if (cut) message += ", ... (" + std::to_string(distinct) + " distinct)";
  throw Error(ErrorKind::kInvalidInput, message);
}

// What the rule decides for one data set: the original values that map to
// +1 (every other maps to -1) and the texts of the two classes.
struct LabelMapping {
  std::vector<double> positive;
  std::string positive_text = "+1";
  std::string negative_text = "-1";
};

LabelMapping ResolveMapping(const std::string& name, std::span<const double> all,
                            const ReadOptions& options) {
  if (all.empty()) throw Error(ErrorKind::kInvalidInput, name + ": no data rows");
  LabelMapping mapping;
  if (!options.positive_labels.empty()) {
    const std::vector<double>& positive = options.positive_labels;
    // A positive set that no row matches makes every row negative: a wrong
    // set, unless the labels were checked against expected ones that include
    // a positive label (a test file may hold one class only).
    bool expects_positive = false;
    for (const double v : options.expected_labels) {
      expects_positive = expects_positive || Contains(positive, v);
    }
    bool any_positive = false;
    for (const double v : all) any_positive = any_positive || Contains(positive, v);
    if (!any_positive && !expects_positive) ThrowNoPositiveRow(name, options, all);
    mapping.positive = positive;
    if (all.size() == 2 && Contains(positive, all[0]) != Contains(positive, all[1])) {
      const bool first_positive = Contains(positive, all[0]);
      mapping.positive_text = LabelText(first_positive ? all[0] : all[1]);
      mapping.negative_text = LabelText(first_positive ? all[1] : all[0]);
    }
    return mapping;
  }
  if (all.size() > 2) {
    std::string examples;
    for (std::size_t k = 0; k < 3; ++k) examples += LabelText(all[k]) + ", ";
    throw Error(ErrorKind::kInvalidInput, name + ": " + std::to_string(all.size()) +
                                              " distinct labels (e.g. " + examples +
                                              "...): multiclass data needs --positive-labels");
  }
  if (all.size() == 2) {  // ascending: the larger maps to +1
    mapping.positive = {all[1]};
    mapping.positive_text = LabelText(all[1]);
    mapping.negative_text = LabelText(all[0]);
    return mapping;
  }
  // One class only: its sign decides.
  const double only = all[0];
  if (only > 0) {
    mapping.positive = {only};
    mapping.positive_text = LabelText(only);
  } else {
    mapping.negative_text = LabelText(only);
  }
  return mapping;
}

}  // namespace

std::string LabelText(double value) {
  char buf[64];
  if (value == std::trunc(value) && std::fabs(value) < 9.0e18) {
    const auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(value));
    (void)ec;
    return std::string(buf, ptr);
  }
  std::snprintf(buf, sizeof buf, "%.17g", value);
  return buf;
}

std::string JoinLabels(std::span<const double> values) {
  std::string out;
  for (const double v : values) {
    if (!out.empty()) out += ", ";
    out += LabelText(v);
  }
  return out;
}

std::vector<double> DistinctLabels(std::span<const double> labels) {
  // Binary data has two values: a linear scan over a tiny set is fastest.
  // Beyond a few values (multiclass, regression targets) a hash set keeps the
  // pass O(n) instead of sorting n labels.
  constexpr std::size_t kFew = 8;
  std::vector<double> out;
  std::size_t i = 0;
  for (; i < labels.size() && out.size() <= kFew; ++i) {
    if (!Contains(out, labels[i])) out.push_back(labels[i]);
  }
  if (i < labels.size()) {
    // "+ 0.0" turns -0 into +0: one key for the one label.
    std::unordered_set<double> seen;
    for (const double v : out) seen.insert(v + 0.0);
    for (; i < labels.size(); ++i) seen.insert(labels[i] + 0.0);
    out.assign(seen.begin(), seen.end());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<double> MergeLabels(std::span<const double> a, std::span<const double> b) {
  std::vector<double> out;
  out.reserve(a.size() + b.size());
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  // set_union keeps one copy of values equal in a and b; -0 and 0 from two
  // parts are equal too, so the result has no duplicates.
  return out;
}

void MapLabels(Dataset* data, std::span<const double> all_labels, const ReadOptions& options) {
  const LabelMapping mapping = ResolveMapping(data->source, all_labels, options);
  for (double& v : data->labels) {
    if (!std::binary_search(all_labels.begin(), all_labels.end(), v)) [[unlikely]] {
      throw Error(ErrorKind::kInvalidOption,
                  data->source + ": label " + LabelText(v) +
                      " is not in the label set given to MapLabels (" +
                      JoinLabels(all_labels.first(std::min<std::size_t>(all_labels.size(), 5))) +
                      (all_labels.size() > 5 ? ", ..." : "") + ")");
    }
    v = Contains(mapping.positive, v) ? 1.0 : -1.0;
  }
  data->label_kind = LabelKind::kClasses;
  data->positive_label_text = mapping.positive_text;
  data->negative_label_text = mapping.negative_text;
}

void KeepTargets(Dataset* data, std::int64_t total_rows) {
  if (total_rows <= 0) throw Error(ErrorKind::kInvalidInput, data->source + ": no data rows");
  data->label_kind = LabelKind::kTargets;
  data->positive_label_text.clear();
  data->negative_label_text.clear();
}

void MapClassIds(Dataset* data, std::span<const double> all_labels, const ReadOptions& options) {
  if (all_labels.empty()) throw Error(ErrorKind::kInvalidInput, data->source + ": no data rows");
  std::vector<double> classes(all_labels.begin(), all_labels.end());
  if (!options.expected_labels.empty()) {
    classes = options.expected_labels;
    std::vector<double> sorted = classes;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      throw Error(ErrorKind::kInvalidOption,
                  "class_ids: the expected labels (" + JoinLabels(classes) +
                      ") name a class twice; each class needs one id");
    }
  }
  // Ids by binary search over a sorted copy that remembers each value's id.
  std::vector<std::pair<double, double>> lookup;
  lookup.reserve(classes.size());
  for (std::size_t k = 0; k < classes.size(); ++k) {
    lookup.emplace_back(classes[k] + 0.0, static_cast<double>(k));
  }
  std::sort(lookup.begin(), lookup.end());
  for (double& v : data->labels) {
    const auto it = std::lower_bound(lookup.begin(), lookup.end(), std::make_pair(v + 0.0, -1.0));
    if (it == lookup.end() || it->first != v) [[unlikely]] {
      throw Error(ErrorKind::kInvalidOption,
                  data->source + ": label " + LabelText(v) + " is not one of the classes given to " +
                      "MapClassIds (" +
                      JoinLabels(std::span<const double>(classes).first(
                          std::min<std::size_t>(classes.size(), 5))) +
                      (classes.size() > 5 ? ", ..." : "") + ")");
    }
    v = it->second;
  }
  data->label_kind = LabelKind::kClassIds;
  data->class_labels = std::move(classes);
  data->positive_label_text.clear();
  data->negative_label_text.clear();
}

void AssignLabels(Dataset* data, std::span<const double> all_labels, std::int64_t total_rows,
                  const ReadOptions& options) {
  if (options.keep_targets) {
    KeepTargets(data, total_rows);
  } else if (options.class_ids) {
    MapClassIds(data, all_labels, options);
  } else {
    MapLabels(data, all_labels, options);
  }
}

}  // namespace asyncopt::io
