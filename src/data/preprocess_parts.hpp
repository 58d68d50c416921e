// asyncopt internal: the preprocessing of asyncopt/preprocess.hpp applied to
// a data set held in parts (one per MPI rank, io/libsvm_part.hpp), so that
// every part ends up with exactly the rows (bit for bit) that Apply() on the
// whole data set would give them.
//
// What each step needs beyond the part's own rows:
//   --scale maxabs     the GLOBAL max |x_ij| of every column: each part gives
//                      ColumnMaxAbs, the caller takes the maximum over parts
//                      (MergeColumnMaxAbs; a max is exact, so the order of the
//                      parts and of the rows does not matter);
//   --normalize-rows   nothing: it is per row;
//   --bias B           the GLOBAL width (the largest num_cols over the parts):
//                      the bias feature goes to that index in every part;
//   --compact-features impossible by parts (which features occur is known
//                      only once every part is read): CheckPartwise refuses it;
//   --scale-target     the GLOBAL mean and std of the targets: the caller
//                      sums the parts' targets (the mean), then their squared
//                      deviations from it, and gives the moments to
//                      StandardizeTargets. The sums over parts round in
//                      another order than Apply's one pass over the file: the
//                      targets agree with Apply's to a few ulps, not bit for bit.
// Protocol: every part reads its rows; the caller combines the widths (max)
// and, when scaling, the column maxima (elementwise max) of all parts;
// MakeRecord turns them into the record Apply() would return for the whole
// data (the model maps back through it); ApplyToPart then transforms each
// part. Which rows a part holds (byte ranges, interleaved rows, a seeded
// permutation of rows into shards) does not change any row's result.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"
#include "asyncopt/preprocess.hpp"
#include "data/targets.hpp"

namespace asyncopt::data {

// Throws Error(kUnsupported) "--compact-features (Preprocessing::
// compact_columns) cannot be applied to data read in parts: ..." when `prep`
// needs the whole data set at once; Error(kInvalidOption) for a bias that is
// not finite (as Apply).
void CheckPartwise(const Preprocessing& prep);

// max |x_ij| over the part's rows for each column j < num_cols (0.0 for a
// column without a nonzero). `num_cols` is the global width; a stored index
// at or beyond it is Error(kInvalidOption) (the widths were not combined).
std::vector<double> ColumnMaxAbs(const Dataset& part, std::int32_t num_cols);

// into[j] = max(into[j], more[j]); `into` grows to more.size() if shorter.
void MergeColumnMaxAbs(std::vector<double>& into, std::span<const double> more);

// The record Apply(prep, whole) returns, from the whole data's width
// (largest num_cols of the parts) and, when prep.scale_maxabs, its column
// maxima (size num_cols; ignored otherwise). CheckPartwise's errors.
PreprocessingRecord MakeRecord(const Preprocessing& prep, std::int32_t num_cols,
                               std::span<const double> column_maxabs);

// Preprocessing::standardize_target with the moments of the whole data's
// real targets (data::Moments, or combined over parts as above): sets the
// record's standardized_target, target_mean and target_std. One check for
// Apply and for parts: Error(kInvalidInput) "SOURCE: cannot standardise the
// target: every target is 3.5 (standard deviation 0)" when min == max (or
// the std is not > 0), and when the mean or std is not finite.
void StandardizeTargets(PreprocessingRecord& record, const TargetMoments& targets,
                        const std::string& source);

// Transforms one part with the record of the whole (MakeRecord): its rows
// become those Apply() gives the same rows of the whole data, and its
// num_cols the whole's after preprocessing. Error(kInvalidOption) for a
// compacted record or a part wider than the record.
void ApplyToPart(const PreprocessingRecord& record, Dataset& part);

}  // namespace asyncopt::data
