// decentralized and gossip (paper 001) on threads: one node is serial
// mini-batch SGD bit for bit; with fewer than half the nodes crashed (before
// sending, or while sending to only some peers) the survivors reach the
// optimum's neighbourhood and agree; with a majority crashed every live node
// ends as no_quorum within the timeout, naming the round and the missing
// nodes; a stalled node skips and rejoins; a restarted node comes back from
// its checkpoint and rejoins by skipping; gossip learns without waiting;
// what the solvers cannot do is refused by name.
#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <exception>
#include <cmath>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "algorithms/decentralized.hpp"
#include "algorithms/soda.hpp"
#include "asyncopt/error.hpp"
#include "asyncopt/optimum.hpp"
#include "asyncopt/solver.hpp"
#include "data/random.hpp"
#include "engine/thread_transport.hpp"
#include "models/model.hpp"
#include "support/multiclass_data.hpp"
#include "support/planted_data.hpp"
#include "support/temp_dir.hpp"

namespace asyncopt {
namespace {

const Problem kLogistic{Loss::kLogistic, 0.0, 1e-2};

// Diameters at the end are loose bounds: at the stop the nodes hold models
// of rounds a few apart (the benchmark measures internal convergence).
Options PeerOptions(int nodes) {
  Options o;
  o.solver = SolverKind::kDecentralized;
  o.threads = nodes;
  o.async.batch_size = 4;
  o.max_epochs = 20;
  o.step = 0.2;
  o.seed = 3;
  o.decentralized.quorum_timeout = 30.0;
  o.trace_every_epochs = 5.0;
  return o;
}

// Mini-batch SGD written out: node 0's shard and stream, the model's
// gradient, y = x - eta_t g.
std::vector<double> SerialSgd(const Dataset& d, const Problem& p, const Options& o, std::int64_t rounds) {
  const auto model = models::MakeModel(models::SpecFor(d, p, o), d);
  std::vector<double> x(static_cast<std::size_t>(model->NumParameters()));
  model->Initialize(x, o.seed);
  const std::vector<std::int64_t> shard =
      algorithms::MakeShards(d.num_rows, 1, 0.0, o.distributed.shuffle_rows, o.seed)[0];
  data::Rng rng = data::Rng::ForStream(o.seed, algorithms::kPeerBatchStream, 0);
  std::vector<double> g(x.size());
  std::vector<std::int64_t> batch(static_cast<std::size_t>(o.async.batch_size));
  models::Workspace ws;
  for (std::int64_t t = 0; t < rounds; ++t) {
    for (std::int64_t& r : batch) r = shard[static_cast<std::size_t>(rng.Below(shard.size()))];
    model->LossAndGradient(d, batch, x, g, ws);
    const double eta = o.step / std::pow(1.0 + static_cast<double>(t), o.decentralized.step_power);
    for (std::size_t j = 0; j < x.size(); ++j) x[j] = x[j] - eta * g[j];
  }
  return x;
}

double FStar(const Dataset& d, const Problem& p) {
  Options ref;
  ref.solver = SolverKind::kReference;
  ref.max_epochs = 200;
  return Solve(d, p, ref).objective;
}

TEST(Decentralized, OneNodeIsSerialSgdBitForBit) {
  {
    const Dataset d = testing::PlantedData(300, 12, 0.5, 7);
    Options o = PeerOptions(1);
    o.decentralized.step_power = 0.5;
    const Result r = Solve(d, kLogistic, o);
    ASSERT_EQ(r.status, Status::kMaxEpochs) << r.BriefReport();
    const std::int64_t rounds = (o.max_epochs * d.num_rows + o.async.batch_size - 1) / o.async.batch_size;
    EXPECT_EQ(r.updates, rounds * o.async.batch_size);
    EXPECT_EQ(r.w, SerialSgd(d, kLogistic, o, rounds));
  }
  {  // the perceptron (He start from the seed)
    const Dataset d = testing::MulticlassData(120, 6, 3, 2);
    Options o = PeerOptions(1);
    o.model_kind = ModelKind::kMlp;
    o.hidden = 5;
    o.max_epochs = 4;
    o.step = 0.05;
    const Problem p{Loss::kLogistic, 0.0, 1e-3};
    const Result r = Solve(d, p, o);
    ASSERT_EQ(r.status, Status::kMaxEpochs) << r.BriefReport();
    const std::int64_t rounds = (o.max_epochs * d.num_rows + o.async.batch_size - 1) / o.async.batch_size;
    EXPECT_EQ(r.w, SerialSgd(d, p, o, rounds));
  }
}

TEST(Decentralized, SurvivorsOfAMinorityCrashReachTheOptimumAndAgree) {
  const Dataset d = testing::PlantedData(800, 15, 0.5, 12);
  const double f_star = FStar(d, kLogistic);
  for (const char* crash : {"crash:1@30", "crash-sending:3@40"}) {
    Options o = PeerOptions(5);
    o.max_epochs = 60;
    o.decentralized.step_power = 0.6;
    o.step = 0.5;
    Fault f;
    std::string why;
    ASSERT_TRUE(ParseFault(crash, &f, &why)) << why;
    o.faults = {f};
    if (std::string(crash).rfind("crash-sending", 0) == 0) {
      Fault second;
      ASSERT_TRUE(ParseFault("crash:0@60", &second, &why)) << why;
      o.faults.push_back(second);  // two of five gone: the majority of three still forms
    }
    const Result r = Solve(d, kLogistic, o);
    ASSERT_EQ(r.status, Status::kMaxEpochs) << crash << ": " << r.BriefReport();
    EXPECT_NE(r.message.find("nodes gone"), std::string::npos) << r.message;
    ASSERT_TRUE(std::isfinite(r.objective));
    // From a start at 1.0 of f*: within 5% (SGD's decaying step, 60 epochs).
    EXPECT_LT((r.objective - f_star) / std::abs(f_star), 5e-2) << crash << ": " << r.BriefReport();
    EXPECT_LT(r.diameter, 5e-2) << crash;
  }
}

TEST(Decentralized, AMajorityCrashedEndsAsNoQuorumWithinTheTimeout) {
  const Dataset d = testing::PlantedData(400, 10, 0.5, 5);
  Options o = PeerOptions(5);
  o.max_epochs = 100000;
  o.decentralized.quorum_timeout = 0.5;
  for (const char* text : {"crash:0@10", "crash:2@10", "crash:4@10"}) {
    Fault f;
    std::string why;
    ASSERT_TRUE(ParseFault(text, &f, &why)) << why;
    o.faults.push_back(f);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const Result r = Solve(d, kLogistic, o);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(r.status, Status::kNoQuorum) << r.BriefReport();
  EXPECT_LT(wall, 20.0);  // the timeout plus the start, never a hang
  const std::size_t at = r.message.find("--quorum-timeout) for round ");
  ASSERT_NE(at, std::string::npos) << r.message;  // a round number is named
  EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(r.message[at + 28]))) << r.message;
  EXPECT_NE(r.message.find("the quorum is 3; missing nodes 0, 2, 4"), std::string::npos) << r.message;
  EXPECT_TRUE(r.IsSolutionUsable());
}

TEST(Decentralized, AStalledNodeSkipsAndRejoins) {
  const Dataset d = testing::PlantedData(600, 12, 0.5, 8);
  Options o = PeerOptions(4);
  o.max_epochs = 1500;  // several times the stall
  o.decentralized.step_power = 0.6;
  Fault f;
  std::string why;
  ASSERT_TRUE(ParseFault("stall:2@20:0.2", &f, &why)) << why;
  o.faults = {f};
  const Result r = Solve(d, kLogistic, o);
  ASSERT_EQ(r.status, Status::kMaxEpochs) << r.BriefReport();
  ASSERT_EQ(r.members.size(), 4u);
  EXPECT_GT(r.members[2].rounds_skipped, 10) << r.message;  // it jumped over the rounds it slept through
  EXPECT_GT(r.members[2].rounds, 20);                        // and took part after
  EXPECT_LT(r.diameter, 5e-2);
}

TEST(Decentralized, ARestartedNodeComesBackFromItsCheckpointAndRejoinsBySkipping) {
  testing::TempDir dir("peers");
  const Dataset d = testing::PlantedData(600, 12, 0.5, 9);
  Options o = PeerOptions(4);
  o.max_epochs = 200;
  o.decentralized.step_power = 0.6;
  o.decentralized.checkpoint_every = 5;
  o.decentralized.checkpoint_dir = (dir.path() / "ckpt").string();
  Fault f;
  std::string why;
  ASSERT_TRUE(ParseFault("restart:1@30:0.4", &f, &why)) << why;
  o.faults = {f};
  const Result r = Solve(d, kLogistic, o);
  ASSERT_EQ(r.status, Status::kMaxEpochs) << r.BriefReport();
  EXPECT_EQ(r.restarts, 1) << r.message;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "ckpt" / "node-1.ckpt"));
  EXPECT_GT(r.members[1].rounds_skipped, 10) << r.message;
  EXPECT_LT(r.diameter, 5e-2);
}

TEST(Decentralized, ClustersAgreeAndAllTheirNodesLearn) {
  const Dataset d = testing::PlantedData(800, 15, 0.5, 14);
  const double f_star = FStar(d, kLogistic);
  Options o = PeerOptions(6);
  o.decentralized.clusters = 2;
  o.decentralized.agreement_rounds = 3;
  o.decentralized.step_power = 0.6;
  o.max_epochs = 60;
  o.step = 0.5;
  const Result r = Solve(d, kLogistic, o);
  ASSERT_EQ(r.status, Status::kMaxEpochs) << r.BriefReport();
  EXPECT_NE(r.message.find("6 nodes in 2 clusters"), std::string::npos) << r.message;
  EXPECT_LT((r.objective - f_star) / std::abs(f_star), 1e-1) << r.BriefReport();
  EXPECT_LT(r.diameter, 5e-2);
}

TEST(Gossip, LearnsWithoutWaiting) {
  const Dataset d = testing::PlantedData(600, 12, 0.5, 10);
  const double f_star = FStar(d, kLogistic);
  Options o = PeerOptions(4);
  o.solver = SolverKind::kGossip;
  o.decentralized.step_power = 0.6;
  o.step = 0.5;
  o.max_epochs = 60;
  const Result r = Solve(d, kLogistic, o);
  ASSERT_EQ(r.status, Status::kMaxEpochs) << r.BriefReport();
  // Learns: at most half the start's suboptimality (nodes that run alone on
  // an oversubscribed core take local steps between averages, so gossip is
  // far from the quorum's accuracy; the benchmark compares them).
  ASSERT_FALSE(r.trace.empty());
  const double start = (r.trace.front().objective - f_star) / std::abs(f_star);
  EXPECT_LT((r.objective - f_star) / std::abs(f_star), 0.5 * start) << r.BriefReport();
  EXPECT_EQ(r.rounds_skipped, 0);
  for (const MemberStats& m : r.members) EXPECT_EQ(m.wait_seconds, 0.0);
}

TEST(Decentralized, AnInterruptionEndsEveryNode) {
  const Dataset d = testing::PlantedData(400, 10, 0.5, 6);
  Options o = PeerOptions(4);
  o.max_epochs = 1000000;
  std::atomic<bool> stop{false};
  o.stop = &stop;
  std::thread stopper([&stop] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop.store(true);
  });
  const Result r = Solve(d, kLogistic, o);
  stopper.join();
  EXPECT_EQ(r.status, Status::kInterrupted) << r.BriefReport();
  EXPECT_TRUE(r.IsSolutionUsable());
}

TEST(Decentralized, RefusesWhatItCannotDoByName) {
  const Dataset d = testing::PlantedData(100, 5, 0.5, 1);
  auto refused = [&](Options o, const Problem& p, const std::string& needle) {
    try {
      Solve(d, p, o);
      ADD_FAILURE() << "accepted; expected a refusal naming " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  Options o = PeerOptions(4);
  o.decentralized.quorum = 5;
  refused(o, kLogistic, "quorum = 5");
  o = PeerOptions(4);
  o.decentralized.clusters = 6;
  refused(o, kLogistic, "clusters = 6");
  o = PeerOptions(4);
  refused(o, Problem{Loss::kLogistic, 1e-3, 1e-2}, "l1");
  o = PeerOptions(4);
  Fault f;
  std::string why;
  ASSERT_TRUE(ParseFault("restart:1@3:0.1", &f, &why)) << why;
  o.faults = {f};
  refused(o, kLogistic, "checkpoint_every");
  o.solver = SolverKind::kHogwild;
  refused(o, kLogistic, "decentralized and gossip");
}

}  // namespace
}  // namespace asyncopt

namespace asyncopt {
namespace {

// The MPI path's protocol (RunDecentralizedRank: a rank per cluster, rank 0
// conducting) with the ranks as threads of this process on a ThreadNetwork:
// the same code, under the sanitizers.
std::vector<Result> RunRanks(const std::vector<Dataset>& parts, const Options& o) {
  const int ranks = static_cast<int>(parts.size());
  std::int64_t rows = 0;
  for (const Dataset& p : parts) rows += p.num_rows;
  engine::ThreadNetwork net(ranks);
  std::vector<Result> results(parts.size());
  std::vector<std::exception_ptr> errors(parts.size());
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r) {
    threads.emplace_back([&, r] {
      try {
        results[static_cast<std::size_t>(r)] =
            algorithms::RunDecentralizedRank(net.endpoint(r), parts[static_cast<std::size_t>(r)], rows, kLogistic, o);
      } catch (...) {
        errors[static_cast<std::size_t>(r)] = std::current_exception();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  return results;
}

TEST(DecentralizedRanks, TwoRanksOfTwoNodesLearnAgreeAndEnd) {
  const std::vector<Dataset> parts = {testing::PlantedData(300, 10, 0.5, 31), testing::PlantedData(300, 10, 0.5, 31)};
  Options o = PeerOptions(4);
  o.decentralized.clusters = 2;
  o.decentralized.step_power = 0.5;
  o.max_epochs = 30;
  const std::vector<Result> r = RunRanks(parts, o);
  ASSERT_EQ(r[0].status, Status::kMaxEpochs) << r[0].BriefReport();
  EXPECT_NE(r[0].message.find("2 mpi ranks"), std::string::npos) << r[0].message;
  ASSERT_EQ(r[0].members.size(), 4u);
  for (const MemberStats& m : r[0].members) EXPECT_GT(m.rounds, 0) << m.member;
  ASSERT_GE(r[0].trace.size(), 3u);
  EXPECT_LT(r[0].trace.back().objective, 0.7 * r[0].trace.front().objective);
  EXPECT_LT(r[0].diameter, 0.1);
  EXPECT_GE(r[0].epochs, 30.0);
}

TEST(DecentralizedRanks, ACrashedMajorityEndsAsNoQuorumOnRankZero) {
  const std::vector<Dataset> parts = {testing::PlantedData(200, 8, 0.5, 32), testing::PlantedData(200, 8, 0.5, 33)};
  Options o = PeerOptions(4);
  o.max_epochs = 100000;
  o.decentralized.quorum_timeout = 0.5;
  for (const char* text : {"crash:1@5", "crash:2@5", "crash:3@5"}) {
    Fault f;
    std::string why;
    ASSERT_TRUE(ParseFault(text, &f, &why)) << why;
    o.faults.push_back(f);
  }
  const std::vector<Result> r = RunRanks(parts, o);
  EXPECT_EQ(r[0].status, Status::kNoQuorum) << r[0].BriefReport();
  EXPECT_NE(r[0].message.find("no quorum: node"), std::string::npos) << r[0].message;
}

}  // namespace
}  // namespace asyncopt

namespace asyncopt {
namespace {

// The slides' processes access one data distribution: nodes that crash at
// once take no rows with them, and the survivors still find the optimum of
// all the data. (With a shard of consecutive rows per node, as before, they
// stalled at the optimum of the rows left: 1.7e-2 on rcv1-vw-small with one
// node of eight gone.) Here the last 2/5 of the rows, nodes 3 and 4's shard
// in that scheme, are all of one class.
TEST(Decentralized, NodesGoneAtTheStartTakeNoDataWithThem) {
  Dataset d = testing::PlantedData(600, 10, 0.5, 41);
  for (std::size_t i = 360; i < d.labels.size(); ++i) d.labels[i] = 1.0;
  const double f_star = FStar(d, kLogistic);
  Options o = PeerOptions(5);
  o.distributed.shuffle_rows = false;
  o.max_epochs = 150;
  o.step = 0.5;
  o.decentralized.step_power = 0.6;
  const Result healthy = Solve(d, kLogistic, o);
  for (const char* text : {"crash:3@1", "crash:4@1"}) {
    Fault f;
    std::string why;
    ASSERT_TRUE(ParseFault(text, &f, &why)) << why;
    o.faults.push_back(f);
  }
  const Result r = Solve(d, kLogistic, o);
  ASSERT_EQ(r.status, Status::kMaxEpochs) << r.BriefReport();
  const double gap = (r.objective - f_star) / std::abs(f_star);
  const double healthy_gap = (healthy.objective - f_star) / std::abs(f_star);
  EXPECT_LT(gap, 1.5 * healthy_gap + 2e-3) << r.BriefReport() << " / fault-free " << healthy.BriefReport();
}

}  // namespace
}  // namespace asyncopt
