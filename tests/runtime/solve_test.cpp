#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "asyncopt/error.hpp"
#include "asyncopt/optimum.hpp"
#include "asyncopt/preprocess.hpp"
#include "asyncopt/solver.hpp"
#include "runtime/memory.hpp"
#include "runtime/tracer.hpp"
#include "support/planted_data.hpp"

namespace asyncopt {
namespace {

// 200 x 30 sparse rows with labels from a planted model plus noise.
Dataset RandomData(unsigned seed) { return testing::PlantedData(200, 30, 0.3, seed); }

TEST(Solve, ReferenceSolverConvergesAndTracesFromZero) {
  const Dataset d = RandomData(1);
  const Problem p{Loss::kLogistic, 0.0, 1e-2};
  Options o;
  o.max_epochs = 200;
  const Result r = Solve(d, p, o);
  EXPECT_EQ(r.status, Status::kConverged) << r.BriefReport();
  ASSERT_GE(r.trace.size(), 2u);
  EXPECT_EQ(r.trace.front().epoch, 0.0);
  EXPECT_NEAR(r.trace.front().objective, std::log(2.0), 1e-13);  // F(0) = mean of ln 2
  for (std::size_t k = 1; k < r.trace.size(); ++k) {
    EXPECT_GE(r.trace[k].seconds, r.trace[k - 1].seconds);
    EXPECT_GE(r.trace[k].updates, r.trace[k - 1].updates);
  }
  EXPECT_TRUE(r.IsSolutionUsable());
  EXPECT_EQ(r.w.size(), 30u);
  EXPECT_DOUBLE_EQ(r.objective, Objective(d, p, r.w, 1));
  EXPECT_GT(r.updates, 0);
}

TEST(Solve, OneThreadSameSeedIsBitIdentical) {
  const Dataset d = RandomData(2);
  const Problem p{Loss::kLogistic, 1e-3, 1e-3};
  Options o;
  const Result a = Solve(d, p, o);
  const Result b = Solve(d, p, o);
  EXPECT_EQ(a.w, b.w);
  EXPECT_EQ(a.objective, b.objective);
}

TEST(Solve, StopsWhenTargetSuboptimalityReached) {
  const Dataset d = RandomData(3);
  const Problem p{Loss::kLogistic, 0.0, 1e-3};
  const ReferenceResult ref = SolveReference(d, p);
  ASSERT_TRUE(ref.converged);
  Options o;
  o.f_star = ref.objective;
  o.target_subopt = 1e-2;
  const Result r = Solve(d, p, o);
  EXPECT_EQ(r.status, Status::kTargetReached);
  EXPECT_LE(r.suboptimality, 1e-2);
  EXPECT_GE(r.suboptimality, 0.0);
  EXPECT_LE(r.trace.back().suboptimality, 1e-2);
}

TEST(Solve, PresetStopFlagEndsAsInterruptedWithUsableWeights) {
  const Dataset d = RandomData(4);
  std::atomic<bool> stop{true};
  Options o;
  o.stop = &stop;
  const Result r = Solve(d, Problem{Loss::kSquaredHinge, 0.0, 1e-2}, o);
  EXPECT_EQ(r.status, Status::kInterrupted);
  ASSERT_TRUE(r.IsSolutionUsable());
  for (double v : r.w) EXPECT_TRUE(std::isfinite(v));
}

TEST(Solve, InvalidOptionsThrowNamingTheField) {
  const Dataset d = RandomData(5);
  Options o;
  o.threads = -1;
  try {
    Solve(d, Problem{}, o);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidOption);
    EXPECT_NE(std::string(e.what()).find("threads = -1"), std::string::npos) << e.what();
  }
  o = Options{};
  o.max_seconds = -1;
  EXPECT_THROW(Solve(d, Problem{}, o), Error);
  for (int sample : {0, -1, (1 << 20) + 1}) {
    o = Options{};
    o.async.conflict_sample = sample;
    try {
      Solve(d, Problem{}, o);
      ADD_FAILURE() << "conflict_sample = " << sample << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidOption);
      EXPECT_NE(std::string(e.what()).find("conflict_sample = " + std::to_string(sample)),
                std::string::npos)
          << e.what();
    }
  }
  for (int stripe : {0, 3, -8, 1 << 21}) {
    o = Options{};
    o.async.lock_stripe = stripe;
    try {
      Solve(d, Problem{}, o);
      ADD_FAILURE() << "lock_stripe = " << stripe << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("lock_stripe = " + std::to_string(stripe)),
                std::string::npos)
          << e.what();
    }
  }
  EXPECT_THROW(Solve(d, Problem{Loss::kLogistic, -1.0, 0.0}, Options{}), Error);
}

// An application builds a Dataset in memory; Solve checks it before any
// work and names the row at fault (a column index past num_cols used to be
// an out-of-bounds write, unsorted indices and {0, 1} labels were accepted).
TEST(Solve, RejectsAnInvalidDatasetNamingTheRow) {
  struct Case {
    const char* name;
    void (*spoil)(Dataset&);
    const char* fragment;
  };
  const Case cases[] = {
      {"column past num_cols", [](Dataset& d) { d.col_index[d.row_ptr[3]] = d.num_cols; }, "row 3: column index 30 is outside [0, num_cols = 30)"},
      {"negative column", [](Dataset& d) { d.col_index[d.row_ptr[2]] = -1; }, "row 2: column index -1"},
      {"unsorted", [](Dataset& d) { std::swap(d.col_index[d.row_ptr[4]], d.col_index[d.row_ptr[4] + 1]); }, "row 4: column indices must strictly increase"},
      {"row_ptr past the end", [](Dataset& d) { d.row_ptr.back() += 5; }, "row_ptr[num_rows]"},
      {"row_ptr decreasing", [](Dataset& d) { d.row_ptr[6] = d.row_ptr[5] - 1; }, "row 5"},
      {"short row_ptr", [](Dataset& d) { d.row_ptr.pop_back(); }, "row_ptr has 200 entries, expected num_rows + 1 = 201"},
      {"labels 0/1", [](Dataset& d) { d.labels[7] = 0.0; }, "row 7: label 0 is not -1 or +1"},
      {"too few labels", [](Dataset& d) { d.labels.pop_back(); }, "labels has 199 entries"},
      {"NaN value", [](Dataset& d) { d.values[d.row_ptr[8]] = std::nan(""); }, "row 8: the value at column"},
      {"norm overflow", [](Dataset& d) { d.values[d.row_ptr[9]] = 1e200; }, "row 9: its squared norm overflows (value 1e+200"},
  };
  for (const Case& c : cases) {
    Dataset d = RandomData(11);
    c.spoil(d);
    for (const SolverKind solver : {SolverKind::kReference, SolverKind::kHogwild}) {
      Options o;
      o.solver = solver;
      try {
        Solve(d, Problem{Loss::kLogistic, 0.0, 1e-2}, o);
        ADD_FAILURE() << c.name << ": accepted";
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput) << c.name;
        EXPECT_NE(std::string(e.what()).find(c.fragment), std::string::npos) << c.name << ": " << e.what();
      }
    }
  }
  EXPECT_NO_THROW(ValidateDataset(RandomData(11)));
}

// Data without a single feature: one rule for every solver (it used to
// write no model with exit 0, or fail inside hogwild's sparsifier).
TEST(Solve, DataWithoutFeaturesIsRefusedByEverySolver) {
  Dataset d;
  d.num_rows = 4;
  d.num_cols = 0;
  d.row_ptr = {0, 0, 0, 0, 0};
  d.labels = {1, -1, 1, -1};
  for (const SolverKind solver : {SolverKind::kReference, SolverKind::kHogwild, SolverKind::kSvrg,
                                  SolverKind::kSoda, SolverKind::kDavePg}) {
    Options o;
    o.solver = solver;
    try {
      Solve(d, Problem{Loss::kLogistic, 0.0, 1e-2}, o);
      ADD_FAILURE() << ToString(solver) << ": accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
      EXPECT_NE(std::string(e.what()).find("no features"), std::string::npos) << e.what();
    }
  }
}

// Options::initial_w for every solver: from the optimum the run starts at
// f* (and, asked for a target, ends at once); a stopped run resumed from its
// Result::w continues from its objective.
class WarmStart : public ::testing::TestWithParam<SolverKind> {};

TEST_P(WarmStart, FromTheOptimumEndsAtOnceAndAResumedRunContinues) {
  const Dataset d = RandomData(12);
  const Problem p{Loss::kLogistic, 1e-3, 1e-2};
  const ReferenceResult ref = SolveReference(d, p);
  ASSERT_TRUE(ref.converged);
  Options o;
  o.solver = GetParam();
  o.threads = 1;
  o.initial_w = ref.w;
  o.f_star = ref.objective;
  o.target_subopt = 1e-9;
  o.max_epochs = 50;
  const Result at_optimum = Solve(d, p, o);
  EXPECT_NEAR(at_optimum.trace.front().objective, ref.objective, 1e-12 * ref.objective);
  EXPECT_EQ(at_optimum.trace.front().epoch, 0.0);
  EXPECT_EQ(at_optimum.status, Status::kTargetReached) << at_optimum.BriefReport();
  EXPECT_EQ(at_optimum.epochs, 0.0) << at_optimum.BriefReport();
  EXPECT_EQ(at_optimum.trace.size(), 1u);
  EXPECT_EQ(at_optimum.w, ref.w);
  // Without a target the reference solver certifies the warm start as
  // optimal at its first look (no Newton step).
  if (GetParam() == SolverKind::kReference) {
    Options certify = o;
    certify.target_subopt = 0.0;
    const Result r = Solve(d, p, certify);
    EXPECT_EQ(r.status, Status::kConverged);
    EXPECT_EQ(r.epochs, 0.0) << r.BriefReport();
  }

  // Resume: 3 epochs, then 3 more from where the first run stopped.
  Options first;
  first.solver = GetParam();
  first.max_epochs = 3;
  first.f_star = ref.objective;
  const Result a = Solve(d, p, first);
  ASSERT_TRUE(a.IsSolutionUsable());
  Options second = first;
  second.initial_w = a.w;
  const Result b = Solve(d, p, second);
  EXPECT_DOUBLE_EQ(b.trace.front().objective, a.objective);  // it starts where a ended
  EXPECT_LT(b.objective, a.objective) << b.BriefReport();
  EXPECT_GT(a.suboptimality, 0.0);
  EXPECT_LT(b.suboptimality, a.suboptimality);

  // A warm start of the wrong size is refused.
  Options bad = first;
  bad.initial_w.assign(7, 0.0);
  EXPECT_THROW(Solve(d, p, bad), Error);
}

INSTANTIATE_TEST_SUITE_P(Solvers, WarmStart,
                         ::testing::Values(SolverKind::kReference, SolverKind::kHogwild,
                                           SolverKind::kSvrg, SolverKind::kSoda, SolverKind::kDavePg),
                         [](const auto& info) {
                           std::string name(ToString(info.param));
                           return name == "dave-pg" ? std::string("davepg") : name;
                         });

TEST(Solve, SuboptimalityIsNanNotZeroWhenFStarIsUnknown) {
  const Dataset d = RandomData(13);
  Options o;
  o.solver = SolverKind::kHogwild;
  o.max_epochs = 2;
  const Result r = Solve(d, Problem{Loss::kLogistic, 0.0, 1e-2}, o);
  EXPECT_TRUE(std::isnan(r.suboptimality));
  for (const TracePoint& t : r.trace) EXPECT_TRUE(std::isnan(t.suboptimality));
}

// A run whose arrays cannot be had fails at once with the estimate, the
// width and what to do, instead of "out of memory" after minutes: two rows
// whose largest feature index is 2^31 - 1.
TEST(Solve, TooWideForTheMachineFailsWithTheEstimateAndCompactionHelps) {
  if (runtime::AvailableMemory().bytes > 150e9) GTEST_SKIP() << "the machine has room for the runs";
  Dataset d;
  d.num_rows = 2;
  d.num_cols = 2147483647;
  d.row_ptr = {0, 2, 3};
  d.col_index = {0, 2147483646, 5};
  d.values = {1.0, 2.0, -1.0};
  d.labels = {1, -1};
  d.source = "wide.svm";
  for (const SolverKind solver : {SolverKind::kReference, SolverKind::kHogwild, SolverKind::kSvrg,
                                  SolverKind::kSoda}) {
    Options o;
    o.solver = solver;
    try {
      Solve(d, Problem{Loss::kLogistic, 0.0, 1e-2}, o);
      ADD_FAILURE() << ToString(solver) << ": no error";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(e.kind(), ErrorKind::kResource) << what;
      EXPECT_NE(what.find("needs about"), std::string::npos) << what;
      EXPECT_NE(what.find("2147483647 features"), std::string::npos) << what;
      EXPECT_NE(what.find("only 3 features occur"), std::string::npos) << what;
      EXPECT_NE(what.find("--compact-features"), std::string::npos) << what;
    }
  }
  // Compacted, the same problem is three features wide and solves.
  Dataset compact = d;
  Preprocessing prep;
  prep.compact_columns = true;
  const PreprocessingRecord record = Apply(prep, compact);
  EXPECT_EQ(compact.num_cols, 3);
  EXPECT_EQ(record.raw_num_cols, 2147483647);
  EXPECT_EQ(record.original_column, (std::vector<std::int32_t>{0, 5, 2147483646}));
  Options o;
  o.solver = SolverKind::kHogwild;
  EXPECT_TRUE(Solve(compact, Problem{Loss::kLogistic, 0.0, 1e-2}, o).IsSolutionUsable());
}

TEST(Tracer, NonFiniteSnapshotIsDivergenceAndKeepsLastFiniteIterate) {
  const Dataset d = RandomData(6);
  const Problem p{Loss::kLogistic, 0.0, 1e-2};
  Options o;
  runtime::Tracer tracer(d, p, o);
  std::vector<double> w(30, 0.0);
  tracer.Begin(w);
  w[3] = 0.25;
  EXPECT_FALSE(tracer.Record(w, {1.0, 200}).has_value());
  std::vector<double> bad = w;
  bad[5] = std::numeric_limits<double>::quiet_NaN();
  const auto verdict = tracer.Record(bad, {2.0, 400});
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(*verdict, Status::kDiverged);
  Result r;
  tracer.Finish(*verdict, bad, {2.0, 400}, &r);
  EXPECT_EQ(r.status, Status::kDiverged);
  EXPECT_EQ(r.w, w);
  EXPECT_TRUE(std::isfinite(r.objective));
}

TEST(Tracer, ExplodingObjectiveIsDivergence) {
  const Dataset d = RandomData(7);
  const Problem p{Loss::kSquared, 0.0, 0.0};
  Options o;
  runtime::Tracer tracer(d, p, o);
  std::vector<double> w(30, 0.0);
  tracer.Begin(w);
  std::fill(w.begin(), w.end(), 1e6);
  const auto verdict = tracer.Record(w, {1.0, 200});
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(*verdict, Status::kDiverged);
}

TEST(Tracer, TimeLimitIsReported) {
  const Dataset d = RandomData(8);
  Options o;
  o.max_seconds = 1e-9;
  runtime::Tracer tracer(d, Problem{}, o);
  std::vector<double> w(30, 0.0);
  tracer.Begin(w);
  volatile double sink = 0;
  for (int i = 0; i < 100000; ++i) sink = sink + i;
  const auto verdict = tracer.Record(w, {1.0, 200});
  ASSERT_TRUE(verdict.has_value());
  EXPECT_EQ(*verdict, Status::kTimeLimit);
}

}  // namespace
}  // namespace asyncopt
