// spars-ams (paper 003, Algorithm 1) on threads: with no compression one
// worker gives a direct serial AMSGrad's iterates bit for bit; 1, 4 and 20
// workers reach the same objective in distribution; topk at 1% sends at
// least 50x fewer bits than the full vectors; the asynchronous variant counts
// staleness; a slowed worker and an interruption end cleanly; what the solver
// cannot do is refused by name.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <string>
#include <vector>

#include "algorithms/soda.hpp"
#include "algorithms/spars_ams.hpp"
#include "asyncopt/error.hpp"
#include "asyncopt/solver.hpp"
#include "data/random.hpp"
#include "models/model.hpp"
#include "support/multiclass_data.hpp"

namespace asyncopt {
namespace {

Options SparsOptions(int workers, ModelKind kind) {
  Options o;
  o.solver = SolverKind::kSparsAms;
  o.threads = workers;
  o.model_kind = kind;
  o.hidden = 6;
  o.async.batch_size = 8;
  o.max_epochs = 3;
  o.step = 0.01;
  o.seed = 5;
  o.peer_timeout = 30;
  return o;
}

models::ModelSpec SpecOf(const Dataset& d, const Problem& p, const Options& o) {
  return {o.model_kind, d.num_cols, d.num_classes(), p.loss, p.l2, o.hidden};
}

// AMSGrad written out directly: the same batch draws as worker 0, the
// model's mini-batch gradient, the moments in plain loops.
std::vector<double> SerialAmsGrad(const Dataset& d, const Problem& p, const Options& o, std::int64_t rounds) {
  const auto model = models::MakeModel(SpecOf(d, p, o), d);
  std::vector<double> theta(static_cast<std::size_t>(model->NumParameters()));
  model->Initialize(theta, o.seed);
  const std::vector<std::int64_t> shard =
      algorithms::MakeShards(d.num_rows, 1, 0.0, o.distributed.shuffle_rows, o.seed)[0];
  data::Rng rng = data::Rng::ForStream(o.seed, algorithms::kSparsAmsBatchStream, 0);
  std::vector<double> m(theta.size(), 0.0), v(theta.size(), 0.0), vmax(theta.size(), 0.0), g(theta.size());
  std::vector<std::int64_t> batch(static_cast<std::size_t>(o.async.batch_size));
  models::Workspace ws;
  const double b1 = o.spars.beta1, b2 = o.spars.beta2, eps = o.spars.epsilon;
  for (std::int64_t t = 0; t < rounds; ++t) {
    for (std::int64_t& r : batch) r = shard[static_cast<std::size_t>(rng.Below(shard.size()))];
    model->LossAndGradient(d, batch, theta, g, ws);
    for (std::size_t j = 0; j < theta.size(); ++j) {
      m[j] = b1 * m[j] + (1.0 - b1) * g[j];
      v[j] = b2 * v[j] + (1.0 - b2) * g[j] * g[j];
      vmax[j] = std::max(vmax[j], v[j]);
      theta[j] -= o.step * m[j] / (std::sqrt(vmax[j]) + eps);
    }
  }
  return theta;
}

TEST(SparsAms, OneUncompressedWorkerIsSerialAmsGradBitForBit) {
  const Dataset d = testing::MulticlassData(200, 9, 3, 4);
  const Problem p{Loss::kLogistic, 0.0, 1e-3};
  for (const ModelKind kind : {ModelKind::kSoftmax, ModelKind::kMlp}) {
    for (const bool keep_all_topk : {false, true}) {
      Options o = SparsOptions(1, kind);
      if (keep_all_topk) {  // topk with k = P and error feedback: nothing is ever held back
        o.sparsify.kind = SparsifierKind::kTopK;
        o.sparsify.error_feedback = true;
        o.spars.keep = static_cast<int>(algorithms::SparsAmsParameters(d, p, o));
      }
      const Result r = Solve(d, p, o);
      ASSERT_EQ(r.status, Status::kMaxEpochs) << r.BriefReport();
      const std::int64_t rounds = o.max_epochs * d.num_rows / o.async.batch_size;  // 75
      EXPECT_EQ(r.updates, rounds * o.async.batch_size);
      const std::vector<double> want = SerialAmsGrad(d, p, o, rounds);
      ASSERT_EQ(r.w.size(), want.size());
      for (std::size_t j = 0; j < want.size(); ++j) {
        ASSERT_EQ(r.w[j], want[j]) << "parameter " << j << " (" << ToString(kind) << ", topk " << keep_all_topk << ")";
      }
    }
  }
}

TEST(SparsAms, OneWorkerAndASeedGiveTheSameBits) {
  const Dataset d = testing::MulticlassData(150, 7, 3, 9);
  const Problem p{Loss::kLogistic, 0.0, 1e-3};
  Options o = SparsOptions(1, ModelKind::kMlp);
  o.sparsify.kind = SparsifierKind::kQsgd;  // random: the stream must be the seed's
  o.sparsify.error_feedback = true;
  EXPECT_EQ(Solve(d, p, o).w, Solve(d, p, o).w);
}

// With Options::share_server_cpu one worker shares the server's CPU
// (runtime/team.hpp): a placement only, the same bits as without, said in
// the message; pinning alone does not do it.
TEST(SparsAms, OneWorkerSharesTheServersCpuWithTheSameBits) {
  const Dataset d = testing::MulticlassData(150, 7, 3, 9);
  const Problem p{Loss::kLogistic, 0.0, 1e-3};
  Options o = SparsOptions(1, ModelKind::kMlp);
  o.pin_workers = true;
  const Result free = Solve(d, p, o);
  o.share_server_cpu = true;
  const Result shared = Solve(d, p, o);
  ASSERT_EQ(shared.status, Status::kMaxEpochs) << shared.BriefReport();
  EXPECT_EQ(shared.w, free.w);
  EXPECT_EQ(free.message.find("shares CPU"), std::string::npos) << free.message;
  EXPECT_NE(shared.message.find("the worker shares CPU"), std::string::npos) << shared.message;
  o.threads = 2;  // two workers: the server is not pinned
  EXPECT_EQ(Solve(d, p, o).message.find("shares CPU"), std::string::npos);
}

// The same rows processed by 1, 4 and 20 workers (20 rounds of 4 x 8 rows
// each are bigger rounds, fewer of them): each run lowers F well below its
// start, and they end within 25% of each other.
TEST(SparsAms, OneFourAndTwentyWorkersAgree) {
  const Dataset d = testing::MulticlassData(800, 12, 4, 2);
  const Problem p{Loss::kLogistic, 0.0, 1e-3};
  std::vector<double> finals;
  for (const int workers : {1, 4, 20}) {
    Options o = SparsOptions(workers, ModelKind::kSoftmax);
    o.max_epochs = 20;
    o.step = 0.02;
    o.sparsify.kind = SparsifierKind::kTopK;
    o.sparsify.rho = 0.25;
    o.sparsify.error_feedback = true;
    const Result r = Solve(d, p, o);
    ASSERT_EQ(r.status, Status::kMaxEpochs) << r.BriefReport();
    ASSERT_FALSE(r.trace.empty());
    EXPECT_LT(r.objective, 0.6 * r.trace.front().objective) << workers << " workers: " << r.BriefReport();
    finals.push_back(r.objective);
  }
  const double lo = *std::min_element(finals.begin(), finals.end());
  const double hi = *std::max_element(finals.begin(), finals.end());
  EXPECT_LT(hi, 1.25 * lo) << finals[0] << " " << finals[1] << " " << finals[2];
}

TEST(SparsAms, TopKAtOnePercentSendsFiftyTimesFewerBits) {
  const Dataset d = testing::MulticlassData(300, 200, 5, 3);
  const Problem p{Loss::kLogistic, 0.0, 1e-3};
  Options full = SparsOptions(2, ModelKind::kSoftmax);  // P = 1000
  full.max_epochs = 2;
  Options topk = full;
  topk.sparsify.kind = SparsifierKind::kTopK;
  topk.sparsify.rho = 0.01;
  topk.sparsify.error_feedback = true;
  const Result a = Solve(d, p, full), b = Solve(d, p, topk);
  ASSERT_EQ(a.exchanges, b.exchanges);
  EXPECT_EQ(b.coords_sent, b.exchanges * 10);
  EXPECT_GE(static_cast<double>(a.bits_sent) / static_cast<double>(b.bits_sent), 50.0)
      << a.bits_sent << " vs " << b.bits_sent;
}

TEST(SparsAms, TheAsynchronousVariantCountsStalenessAndLearns) {
  const Dataset d = testing::MulticlassData(400, 10, 3, 6);
  const Problem p{Loss::kLogistic, 0.0, 1e-3};
  Options o = SparsOptions(4, ModelKind::kSoftmax);
  o.spars.asynchronous = true;
  o.max_epochs = 10;
  o.step = 0.02;
  const Result r = Solve(d, p, o);
  ASSERT_EQ(r.status, Status::kMaxEpochs) << r.BriefReport();
  EXPECT_LT(r.objective, 0.7 * r.trace.front().objective);
  // Every worker's first message is computed at version 0 and each one
  // absorbed moves the server on: the second absorbed is at least 1 stale.
  EXPECT_GE(r.max_staleness, 1);
  EXPECT_LT(r.max_staleness, 4 * 50);  // bounded: each worker has one message in flight
}

TEST(SparsAms, ASlowWorkerAndAnInterruptionEndCleanly) {
  const Dataset d = testing::MulticlassData(200, 8, 3, 7);
  const Problem p{Loss::kLogistic, 0.0, 1e-3};
  Options slow = SparsOptions(3, ModelKind::kMlp);
  slow.faults = {Fault{Fault::Kind::kSlow, 2, 4.0, 0, 0.0}};
  const Result r = Solve(d, p, slow);
  EXPECT_EQ(r.status, Status::kMaxEpochs) << r.BriefReport();
  EXPECT_EQ(r.updates, slow.max_epochs * d.num_rows / 24 * 24);  // whole rounds of 3 x 8 rows
  // Interrupted at the second trace point: that point's weights come back.
  Options stop = SparsOptions(3, ModelKind::kMlp);
  stop.max_epochs = 1000;
  int points = 0;
  stop.on_trace = [&points](const TracePoint&) { return ++points == 2 ? TraceReply::kStop : TraceReply::kContinue; };
  const Result s = Solve(d, p, stop);
  EXPECT_EQ(s.status, Status::kInterrupted) << s.BriefReport();
  EXPECT_EQ(points, 2);
  EXPECT_FALSE(s.w.empty());
  for (const double v : s.w) ASSERT_TRUE(std::isfinite(v));
}

// A step far too large: the run ends as diverged with finite weights,
// whatever the compressor (topk never sees a NaN).
TEST(SparsAms, AStepTooLargeEndsAsDivergedWithFiniteWeights) {
  const Dataset d = testing::MulticlassData(200, 8, 3, 12);
  const Problem p{Loss::kLogistic, 0.0, 0.0};
  for (const SparsifierKind kind : {SparsifierKind::kNone, SparsifierKind::kTopK}) {
    Options o = SparsOptions(2, ModelKind::kMlp);
    o.spars.server_update = ServerUpdate::kSgd;  // no adaptive scaling to tame it
    o.step = 1e200;
    o.max_epochs = 50;
    o.sparsify.kind = kind;
    o.sparsify.rho = 0.5;
    o.sparsify.error_feedback = kind != SparsifierKind::kNone;
    const Result r = Solve(d, p, o);
    EXPECT_EQ(r.status, Status::kDiverged) << r.BriefReport();
    for (const double v : r.w) ASSERT_TRUE(std::isfinite(v));
  }
}

TEST(SparsAms, WhatItCannotDoIsRefusedByName) {
  const Dataset multi = testing::MulticlassData(50, 5, 3, 1);
  auto message = [](const Dataset& d, const Problem& p, const Options& o) -> std::string {
    try {
      Solve(d, p, o);
    } catch (const Error& e) {
      return e.what();
    }
    ADD_FAILURE() << "accepted";
    return "";
  };
  Options o = SparsOptions(2, ModelKind::kSoftmax);
  EXPECT_NE(message(multi, Problem{Loss::kLogistic, 0.1, 0.0}, o).find("l1 = 0.1 is not supported"),
            std::string::npos);
  Options linear = SparsOptions(2, ModelKind::kLinear);
  EXPECT_NE(message(multi, Problem{Loss::kLogistic, 0.0, 0.1}, linear).find("use --model-kind softmax or mlp"),
            std::string::npos);
  Options keep = o;
  keep.sparsify.kind = SparsifierKind::kTopK;
  keep.spars.keep = 16;  // P = 15
  EXPECT_NE(message(multi, Problem{Loss::kLogistic, 0.0, 0.1}, keep).find("more coordinates than the model's 15"),
            std::string::npos);
  Options start = o;
  start.initial_w.assign(5, 0.0);  // d, not P
  EXPECT_NE(message(multi, Problem{Loss::kLogistic, 0.0, 0.1}, start).find("the softmax model has 15 parameters"),
            std::string::npos);
  Options hogwild;
  hogwild.solver = SolverKind::kHogwild;
  hogwild.model_kind = ModelKind::kMlp;
  EXPECT_NE(message(multi, Problem{Loss::kLogistic, 0.0, 0.1}, hogwild).find("trained by spars-ams"),
            std::string::npos);
}

}  // namespace
}  // namespace asyncopt
