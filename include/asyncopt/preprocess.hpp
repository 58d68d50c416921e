// asyncopt: preprocessing, splitting, sharding and dataset statistics.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "asyncopt/dataset.hpp"

namespace asyncopt {

struct Preprocessing {
  bool scale_maxabs = false;   // x_ij /= max_i |x_ij| (SODA's normalisation)
  bool normalize_rows = false; // x_i /= ||x_i||_2 (after scaling)
  double bias = -1.0;          // > 0: append a constant feature of this value
                               // (LIBLINEAR's -B); <= 0: none
  // Train on the features that occur only: column c of the training data is
  // the c-th feature index that occurs in it (ascending), so no array of the
  // full width d is allocated by a solver. For very wide, sparse data (hashed
  // features, d up to 2^31 - 1). The optimum is the same (a feature that
  // never occurs has weight 0 at the optimum of every problem here); a model
  // maps back to the raw indices (MakeLinearModel). Applied first.
  bool compact_columns = false;
  // Real targets (LabelKind::kTargets) only: y' = (y - mean) / std over the
  // rows (population std), so the squared loss sees targets of unit scale
  // (cadata's reach 500,001, which leaves l2-regularised least squares badly
  // conditioned). A model maps back to the original units (MakeLinearModel).
  // Error(kInvalidOption) on -1/+1 classes; Error(kInvalidInput) when every
  // target is the same value (std 0).
  bool standardize_target = false;
  // Short description for summaries and cache keys, e.g.
  // "compact+maxabs+rownorm+bias=1+ystd".
  std::string Describe() const;
};

// What Apply() did, so a model can be mapped back to the raw feature space.
struct PreprocessingRecord {
  // Empty when not scaled; else x_ij' = x_ij / column_scale[j] (j a training
  // column, after compaction).
  std::vector<double> column_scale;
  bool normalized_rows = false;
  double bias = -1.0;
  // Training width before the bias column: where ApplyRecord puts the bias
  // feature of other data (0: use column_scale.size(), else the data's width).
  std::int32_t num_cols = 0;
  // Compacted: training column c is raw feature original_column[c] (0-based,
  // ascending); empty when not compacted. Other data (ApplyRecord) keeps only
  // these features.
  std::vector<std::int32_t> original_column;
  // Width of the raw data before any preprocessing (the largest feature
  // index): the model's feature count in the raw space.
  std::int32_t raw_num_cols = 0;
  // The kind of the training labels: kTargets makes MakeLinearModel build a
  // regression model.
  LabelKind label_kind = LabelKind::kClasses;
  // Standardised targets: y' = (y - target_mean) / target_std (ApplyRecord
  // does it to other data's targets too); a prediction in original units is
  // target_mean + target_std * x'.w. Otherwise mean 0 and std 1.
  bool standardized_target = false;
  double target_mean = 0.0;
  double target_std = 1.0;
};

// Applies `prep` in place (compaction, scale, then row normalisation, then
// bias column; the targets' standardisation on its own).
PreprocessingRecord Apply(const Preprocessing& prep, Dataset& data);

// Applies a training set's record to other data (test set): the same
// compaction (features the training data lacked are dropped), the same column
// scale (features beyond the training width are left as read), same row
// normalisation, same bias. With a bias, the bias feature goes to index
// record.num_cols as in training, so features at or beyond the training width
// (which the model has no weight for) are dropped first, like LIBLINEAR's
// predict; the data's width becomes record.num_cols + 1. Standardised
// targets: the data's targets with the record's mean and std
// (Error(kInvalidOption) when its labels are classes).
void ApplyRecord(const PreprocessingRecord& record, Dataset& data);

// Random train/test split: a fraction `test_fraction` of the rows (seeded
// shuffle) goes to `test`.
void SplitTrainTest(const Dataset& all, double test_fraction, std::uint64_t seed,
                    Dataset& train, Dataset& test);

// Row ranges [begin, end) of M shards. skew = 0: balanced (sizes differ by at
// most one). skew > 0: sizes proportional to (1 + skew)^(-i) like DAve's
// unbalanced split; every shard gets at least one row. Throws if M > rows.
std::vector<std::int64_t> ShardBoundaries(std::int64_t rows, int shards, double skew = 0.0);

// Statistics printed by `asyncopt info`.
struct DatasetStats {
  std::int64_t rows = 0;
  std::int32_t cols = 0;
  std::int64_t nnz = 0;
  double density = 0.0;                // nnz / (rows * cols)
  std::int64_t positives = 0, negatives = 0;  // -1/+1 classes (0 otherwise)
  // Class ids (LabelKind::kClassIds): rows per class id, in class_labels'
  // order (empty otherwise).
  std::vector<std::int64_t> class_counts;
  // Real targets (LabelKind::kTargets): range, mean, population standard
  // deviation and the number of distinct values (all 0 for classes).
  bool targets = false;
  double target_min = 0.0, target_max = 0.0, target_mean = 0.0, target_std = 0.0;
  std::int64_t target_distinct = 0;
  std::int32_t min_row_nnz = 0, max_row_nnz = 0;  // Omega = max_row_nnz
  double mean_row_nnz = 0.0;
  std::int32_t empty_columns = 0;      // features never seen
  // Hogwild (Niu et al. 2011) sparsity measures of the hypergraph whose
  // edges are rows: Delta = max_j (rows touching feature j) / rows;
  // rho = max_e |{e' : e' shares a feature with e}| / rows, estimated on
  // `rho_sample_rows` rows (exact when that equals rows).
  double delta = 0.0;
  double rho = 0.0;
  std::int64_t rho_sample_rows = 0;
  // Feature-frequency skew: share of all nonzeros held by the most frequent
  // 1% of (non-empty) features, Gini coefficient of column counts, and the
  // Zipf exponent fitted by least squares to log(count) vs log(rank).
  double top1pct_share = 0.0;
  double gini = 0.0;
  double zipf_exponent = 0.0;
  double max_abs_value = 0.0;
};

// rho_samples: number of rows for the rho estimate (all rows if >= rows).
DatasetStats ComputeStats(const Dataset& data, std::int64_t rho_samples = 2000,
                          std::uint64_t seed = 1);

}  // namespace asyncopt
