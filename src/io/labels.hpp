// asyncopt internal: the one rule that maps a file's original labels to -1/+1.
//
// ReadOptions (asyncopt/dataset.hpp) states the rule: with positive_labels,
// those values map to +1 and every other to -1; without, the data may hold at
// most two distinct values and the larger maps to +1. The rule needs only the
// set of distinct labels of the WHOLE data set, so a file read in parts (one
// per MPI rank, io/libsvm_part.hpp) maps alike in every part when each part
// is given the union of all parts' label sets. ReadLibsvm applies the same
// function to its own label set: there is no second copy of the rule.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"

namespace asyncopt::io {

// Canonical spelling of an original label value: integers without a decimal
// point ("1", "-1", "4"), anything else as printf's %.17g.
std::string LabelText(double value);

// "1, -1, 3": the LabelText spellings joined, in the given order.
std::string JoinLabels(std::span<const double> values);

// The distinct values of `labels`, ascending. Values are compared as doubles
// (-0 and 0 are one label). O(n) while there are at most a few distinct
// values, O(n log n) (a sorted copy) beyond.
std::vector<double> DistinctLabels(std::span<const double> labels);

// Sorted union of two ascending sets of distinct labels (as DistinctLabels
// returns): how the label sets of the parts of a file combine.
std::vector<double> MergeLabels(std::span<const double> a, std::span<const double> b);

// Maps data->labels (original values) to -1/+1 (label_kind kClasses) and
// sets the label texts by ReadOptions' rule applied to `all_labels`: the
// distinct original labels of the whole data set, ascending (DistinctLabels,
// or MergeLabels over parts).
// Every label of `data` must be in `all_labels`. Errors, named after
// data->source exactly as ReadLibsvm names them:
//   Error(kInvalidInput) "FILE: no data rows" when `all_labels` is empty;
//   "FILE: 4 distinct labels (e.g. 1, 2, 3, ...): multiclass data needs
//   --positive-labels"; "FILE: no row has a label in --positive-labels (7);
//   the labels found are 1, 2" (see ReadOptions);
//   Error(kInvalidOption) when a label of `data` is missing from
//   `all_labels` (a caller's mistake: the sets were not merged).
void MapLabels(Dataset* data, std::span<const double> all_labels, const ReadOptions& options);

// ReadOptions::keep_targets: the labels stay as read, as real targets
// (label_kind = kTargets; the class texts are cleared). `total_rows` counts
// the rows of the WHOLE data set (all parts): Error(kInvalidInput) "FILE: no
// data rows" when it is 0, as MapLabels.
void KeepTargets(Dataset* data, std::int64_t total_rows);

// ReadOptions::class_ids: each label becomes its class id (label_kind =
// kClassIds), an index into data->class_labels, which is `all_labels` (the
// whole data set's distinct labels, ascending) or, when given,
// options.expected_labels in their order (a test set read against a model's
// classes: the reader has already refused labels outside them). Errors as
// MapLabels: "FILE: no data rows" when `all_labels` is empty;
// Error(kInvalidOption) for repeated expected_labels or a label missing
// from the class list (the caller's mistake).
void MapClassIds(Dataset* data, std::span<const double> all_labels, const ReadOptions& options);

// The one dispatch over ReadOptions' three label rules, for the whole-file
// reader and for parts: KeepTargets (keep_targets; `all_labels` unused),
// MapClassIds (class_ids) or MapLabels. `total_rows` counts the rows of the
// whole data set.
void AssignLabels(Dataset* data, std::span<const double> all_labels, std::int64_t total_rows,
                  const ReadOptions& options);

}  // namespace asyncopt::io
