// bench_agreement: how much one round of "MDAA within a Cluster" contracts
// the members' values, measured, beside the factors that are claimed for it.
//
// The kernel is src/kernels/agreement.hpp (Attiya and Schiller,
// "Asynchronous Distributed Machine Learning", slides: "MDAA within a
// Cluster", MidExtremes of Fuegger and Nowak, DISC 2018). For every
// configuration (m members, dimension d, R agreement rounds) the program
// runs --trials executions on random inputs (m independent N(0, I_d)
// vectors) and compares the members' outputs with their inputs:
//   Delta_2   the largest pairwise Euclidean distance (LargestDistance),
//   Delta_cw  the coordinate-wise diameter (CoordinateDiameter), the
//             slides' measure ("Correctness Proof - Definitions"),
// as a factor per round, (after / before)^(1/R). Reported per
// configuration: the mean, median and worst factor, the mean over the runs
// that did not end in exact agreement, the fraction that did (every output
// the same bits), and the runs above the two reference factors:
//   q       the slides' (2 floor(m/2) + 1) / (2 floor(m/2) + 2) ("Main
//           Correctness Claims"), a claim about SGD iterations and not a
//           worst case for one round (the kernel's header);
//   proven  what holds for every execution (agreement_test.cpp,
//           ProvenFactor): Delta_2 shrinks by 1/2 per round for d = 1 or
//           m = 2 and by sqrt(6/7) = 0.926 in general; Delta_cw by 1/2 for
//           d = 1 or m = 2 (the same argument coordinate by coordinate),
//           nothing proven otherwise. A run above the proven factor is a
//           bug in the kernel.
//
// Two ways to run the members:
//   scheduled  seeded interleavings on ONE thread: each member runs on its
//              own stack (a ucontext fiber) and the kernel's step hook,
//              called before every register access, hands the turn back to
//              the scheduler when the member's burst is used up. The next
//              member is drawn with weights (equal on even trials; 0.05 +
//              U[0,1) on odd ones, so some members lag behind) for a burst
//              of 1 to B register accesses, B = 1, 4 or 3m by trial % 3. A
//              trial's seed is one execution, the same on every machine and
//              run. Fibers, not threads taking turns: a hand-over costs a
//              swapcontext instead of a futex wake-up, which a niced thread
//              on a busy machine may wait milliseconds for.
//   free       what the solver does: m std::threads started together on a
//              fresh register array. Not deterministic. With more members
//              than cores (m > 2 on a 2-core machine) the threads are
//              oversubscribed: a member runs for a time slice (milliseconds)
//              against rounds of microseconds, so most runs are nearly
//              sequential and end in exact agreement (the late members skip
//              to the last round and adopt its value). The `oversubscribed`
//              column says when.
// Both modes see the same inputs for the same (seed, m, d, R, trial).
//
// Output: OUT/NAME.csv (one row per mode x m x d x R) and OUT/NAME.json (the
// same rows with the machine context), and a table on stdout.
//
// Usage: bench_agreement [--members 2,3,4,8,16] [--dims 1,2,50,1000]
//          [--rounds 1,2,3,5] [--trials 200] [--modes scheduled,free]
//          [--seed 1] [--out DIR] [--name agreement]
#include "kernels/agreement.hpp"

#include <ucontext.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "asyncopt/version.hpp"
#include "data/random.hpp"
#include "tools/report_text.hpp"

namespace {

using asyncopt::tools::CpuModel;
using asyncopt::tools::JsonNum;
using asyncopt::tools::JsonStr;
using asyncopt::tools::Num;
using asyncopt::tools::SplitList;
using asyncopt::tools::UtcNow;
using asyncopt::data::Mix64;
using asyncopt::data::Rng;
using asyncopt::kernels::AgreementCounters;
using asyncopt::kernels::AgreementScratch;
using asyncopt::kernels::ClusterAgreement;
using asyncopt::kernels::CoordinateDiameter;
using asyncopt::kernels::LargestDistance;
using asyncopt::kernels::RegisterArray;
using Family = std::vector<std::vector<double>>;
using Clock = std::chrono::steady_clock;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// A run is above a factor f when after > f^R before by more than rounding.
constexpr double kSlack = 1e-12;

const char* kUsage = R"(bench_agreement: per-round contraction of "MDAA within a Cluster"
(src/kernels/agreement.hpp) on random N(0, I_d) inputs, beside the slides' q and the proven factor.

  --members LIST   cluster sizes m (2,3,4,8,16)
  --dims LIST      dimensions d (1,2,50,1000)
  --rounds LIST    agreement rounds R (1,2,3,5)
  --trials N       executions per mode x m x d x R (200)
  --modes LIST     scheduled (seeded interleavings on fibers, deterministic),
                   free (m threads started together) (scheduled,free)
  --seed N         base seed (1)
  --out DIR        where NAME.csv and NAME.json go (.)
  --name NAME      (agreement)
)";

// ---------------------------------------------------------------- arguments

struct Options {
  std::vector<int> members{2, 3, 4, 8, 16};
  std::vector<int> dims{1, 2, 50, 1000};
  std::vector<int> rounds{1, 2, 3, 5};
  int trials = 200;
  std::vector<std::string> modes{"scheduled", "free"};
  std::uint64_t seed = 1;
  std::string out = ".";
  std::string name = "agreement";
};

long long ParseInt(const std::string& key, const std::string& v, long long lo, long long hi) {
  std::size_t used = 0;
  long long x = 0;
  try {
    x = std::stoll(v, &used);
  } catch (...) {
    used = 0;
  }
  if (used != v.size() || v.empty())
    throw std::runtime_error("--" + key + " " + v + ": expected an integer");
  if (x < lo || x > hi) {
    throw std::runtime_error("--" + key + " " + v + ": must be between " + std::to_string(lo) +
                             " and " + std::to_string(hi));
  }
  return x;
}

std::vector<int> IntList(const std::string& key, const std::string& v, int lo, int hi) {
  std::vector<int> out;
  for (const auto& item : SplitList(v))
    out.push_back(static_cast<int>(ParseInt(key, item, lo, hi)));
  if (out.empty()) throw std::runtime_error("--" + key + ": empty list");
  return out;
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string key = argv[i];
    if (key == "--help" || key == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (key.rfind("--", 0) != 0) throw std::runtime_error("unexpected argument '" + key + "'");
    key = key.substr(2);
    std::string value;
    if (const auto eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    } else {
      if (i + 1 >= argc) throw std::runtime_error("--" + key + " needs a value");
      value = argv[++i];
    }
    if (key == "members") {
      o.members = IntList(key, value, 1, 256);
    } else if (key == "dims") {
      o.dims = IntList(key, value, 1, 1 << 20);
    } else if (key == "rounds") {
      o.rounds = IntList(key, value, 1, 1000);
    } else if (key == "trials") {
      o.trials = static_cast<int>(ParseInt(key, value, 1, 1 << 24));
    } else if (key == "modes") {
      o.modes = SplitList(value);
      for (const auto& m : o.modes) {
        if (m != "scheduled" && m != "free") {
          throw std::runtime_error("--modes: unknown mode '" + m + "' (scheduled, free)");
        }
      }
      if (o.modes.empty()) throw std::runtime_error("--modes: empty list");
    } else if (key == "seed") {
      o.seed = static_cast<std::uint64_t>(
          ParseInt(key, value, 0, std::numeric_limits<long long>::max()));
    } else if (key == "out") {
      o.out = value;
    } else if (key == "name") {
      o.name = value;
    } else {
      throw std::runtime_error("unknown option --" + key + " (see --help)");
    }
  }
  return o;
}

// ---------------------------------------------------------------- factors

// The slides' q = (2 floor(m/2) + 1) / (2 floor(m/2) + 2).
double SlidesFactor(int m) {
  const double h = m / 2;
  return (2 * h + 1) / (2 * h + 2);
}
// Per round, for every execution (agreement.hpp's header; the proof is at
// ProvenFactor in tests/kernels/agreement_test.cpp).
double ProvenFactorL2(int m, int d) { return d == 1 || m == 2 ? 0.5 : std::sqrt(6.0 / 7.0); }
// Delta_cw: with m = 2 the round's outputs are the first writer's value or
// the midpoint of both, so every coordinate's width halves; d = 1 is
// Delta_2. Nothing is proven otherwise (NaN).
double ProvenFactorCw(int m, int d) { return d == 1 || m == 2 ? 0.5 : kNaN; }

// ---------------------------------------------------------------- runs

// Member i's input of trial t: N(0, I_d), from the trial's own stream, the
// same for both modes.
Family RandomInputs(std::uint64_t trial_seed, int m, int d) {
  Rng rng = Rng::ForStream(trial_seed, 1, 0);
  Family xs(static_cast<std::size_t>(m), std::vector<double>(static_cast<std::size_t>(d)));
  for (auto& x : xs) {
    for (auto& v : x) v = rng.Normal();
  }
  return xs;
}

struct Run {
  Family outputs;
  std::vector<AgreementCounters> counters;
};

// Seeded executions of m members on the calling thread. Each member runs on
// its own stack (a ucontext fiber); Step(), the kernel's step hook, is
// called by the running member before each register access and returns to
// the scheduler (Run) once the member's burst of accesses is used up. The
// scheduler then draws the next member among those not finished, with the
// schedule's weights, and a burst of 1 to max_burst accesses. One member
// runs at a time, so register accesses are atomic by construction: the
// model the slides' algorithm assumes.
class Interleaver {
 public:
  struct Schedule {
    std::vector<double> weights;  // per member, > 0
    int max_burst = 1;
  };

  explicit Interleaver(int m)
      : m_(m),
        fibers_(static_cast<std::size_t>(m)),
        stacks_(static_cast<std::size_t>(m)),
        done_(static_cast<std::size_t>(m), 0) {
    for (auto& s : stacks_) s = std::make_unique<char[]>(kStackBytes);
  }

  // Runs body(i) for every member i to its end, in the interleaving drawn
  // from rng. Returns the register accesses taken (Step calls).
  std::int64_t Run(Rng& rng, const Schedule& schedule, std::function<void(int)> body) {
    body_ = std::move(body);
    steps_ = 0;
    const auto self = reinterpret_cast<std::uintptr_t>(this);
    for (int i = 0; i < m_; ++i) {
      ucontext_t& f = fibers_[static_cast<std::size_t>(i)];
      if (getcontext(&f) != 0) throw std::runtime_error("getcontext failed");
      f.uc_stack.ss_sp = stacks_[static_cast<std::size_t>(i)].get();
      f.uc_stack.ss_size = kStackBytes;
      f.uc_link = &main_;  // a member that returns resumes the scheduler
      // makecontext passes int arguments only: `this` in two halves.
      makecontext(&f, reinterpret_cast<void (*)()>(&Trampoline), 3,
                  static_cast<unsigned>(self >> 32), static_cast<unsigned>(self & 0xffffffffu),
                  static_cast<unsigned>(i));
      done_[static_cast<std::size_t>(i)] = 0;
    }
    for (int live = m_; live > 0;) {
      double total = 0;
      for (int i = 0; i < m_; ++i) {
        if (!done_[static_cast<std::size_t>(i)])
          total += schedule.weights[static_cast<std::size_t>(i)];
      }
      double u = rng.Uniform() * total;
      int next = -1;
      for (int i = 0; i < m_; ++i) {
        if (done_[static_cast<std::size_t>(i)]) continue;
        next = i;  // the last live member takes what rounding leaves
        u -= schedule.weights[static_cast<std::size_t>(i)];
        if (u < 0) break;
      }
      current_ = next;
      left_ =
          1 + static_cast<std::int64_t>(rng.Below(static_cast<std::uint64_t>(schedule.max_burst)));
      if (swapcontext(&main_, &fibers_[static_cast<std::size_t>(next)]) != 0) {
        throw std::runtime_error("swapcontext failed");
      }
      live -= done_[static_cast<std::size_t>(next)];
    }
    return steps_;
  }

  // The step hook of the running member.
  void Step() {
    if (left_ == 0) swapcontext(&fibers_[static_cast<std::size_t>(current_)], &main_);
    --left_;
    ++steps_;
  }

 private:
  // ClusterAgreement's frames and MidExtremes need a few kB; room for more.
  static constexpr std::size_t kStackBytes = 256 * 1024;

  static void Trampoline(unsigned hi, unsigned lo, unsigned i) noexcept {
    auto* self = reinterpret_cast<Interleaver*>((static_cast<std::uintptr_t>(hi) << 32) | lo);
    self->body_(static_cast<int>(i));  // an exception here ends the program (noexcept)
    self->done_[i] = 1;
  }

  int m_;
  ucontext_t main_{};
  std::vector<ucontext_t> fibers_;
  std::vector<std::unique_ptr<char[]>> stacks_;
  std::vector<char> done_;
  std::function<void(int)> body_;
  int current_ = -1;
  std::int64_t left_ = 0;  // accesses left in the running member's burst
  std::int64_t steps_ = 0;
};

// Trial t's schedule: equal weights on even trials, 0.05 + U[0,1) on odd
// ones; bursts of at most 1, 4 or 3m accesses by t % 3 (all six pairs in
// every six trials).
Interleaver::Schedule ScheduleOf(int trial, int m, Rng& rng) {
  Interleaver::Schedule s;
  s.weights.assign(static_cast<std::size_t>(m), 1.0);
  if (trial % 2 == 1) {
    for (auto& w : s.weights) w = 0.05 + rng.Uniform();
  }
  const int bursts[3] = {1, 4, 3 * m};
  s.max_burst = bursts[trial % 3];
  return s;
}

// One seeded execution; adds the register accesses taken to *steps.
Run RunScheduled(Interleaver& il, const Family& inputs, int rounds, int trial,
                 std::uint64_t trial_seed, std::int64_t* steps) {
  const int m = static_cast<int>(inputs.size());
  RegisterArray a(m, inputs[0].size());
  Run run{inputs, std::vector<AgreementCounters>(inputs.size())};
  std::vector<AgreementScratch> scratch(inputs.size());
  Rng rng = Rng::ForStream(trial_seed, 2, 0);
  const Interleaver::Schedule schedule = ScheduleOf(trial, m, rng);
  *steps += il.Run(rng, schedule, [&](int i) {
    const auto u = static_cast<std::size_t>(i);
    run.counters[u] =
        ClusterAgreement(a, i, 1, rounds, run.outputs[u], scratch[u], [&] { il.Step(); });
  });
  return run;
}

// m threads that start together (each spins, then yields, until all exist).
Run RunFree(const Family& inputs, int rounds) {
  const int m = static_cast<int>(inputs.size());
  RegisterArray a(m, inputs[0].size());
  Run run{inputs, std::vector<AgreementCounters>(inputs.size())};
  std::atomic<int> ready{0};
  {
    std::vector<std::jthread> threads;
    threads.reserve(inputs.size());
    for (int i = 0; i < m; ++i) {
      threads.emplace_back([&, i] {
        const auto u = static_cast<std::size_t>(i);
        AgreementScratch s;
        s.Reserve(m, inputs[0].size());
        ready.fetch_add(1);
        while (ready.load() < m) std::this_thread::yield();
        run.counters[u] = ClusterAgreement(a, i, 1, rounds, run.outputs[u], s);
      });
    }
  }
  return run;
}

// ---------------------------------------------------------------- statistics

std::vector<std::span<const double>> Views(const Family& xs) { return {xs.begin(), xs.end()}; }

// Per-round factors of one measure over a configuration's runs.
struct Contraction {
  std::vector<double> per_round;  // (after / before)^(1/R), one per run
  int above_q = 0;                // runs with after > q^R before
  int above_proven = 0;           // runs with after > proven^R before (a bug)
  double worst = 0;               // the largest per-round factor
  int worst_trial = -1;           // the trial that gave it (the first, on ties)

  void Add(double before, double after, int rounds, double q, double proven, int trial) {
    const double ratio = before > 0 ? after / before : 0.0;
    const double f = std::pow(ratio, 1.0 / rounds);
    if (worst_trial < 0 || f > worst) {
      worst = f;
      worst_trial = trial;
    }
    per_round.push_back(f);
    above_q += ratio > std::pow(q, rounds) * (1 + kSlack);
    above_proven += std::isfinite(proven) && ratio > std::pow(proven, rounds) * (1 + kSlack);
  }
  double Mean() const {
    double s = 0;
    for (const double f : per_round) s += f;
    return per_round.empty() ? kNaN : s / static_cast<double>(per_round.size());
  }
  double MeanOfDisagreeing() const {  // over the runs that did not end in exact agreement
    double s = 0;
    int n = 0;
    for (const double f : per_round) {
      if (f > 0) {
        s += f;
        ++n;
      }
    }
    return n == 0 ? kNaN : s / n;
  }
  double Median() const {
    if (per_round.empty()) return kNaN;
    std::vector<double> v = per_round;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  }
};

struct Cell {
  std::string mode;
  int m = 0, d = 0, rounds = 0, trials = 0;
  bool oversubscribed = false;  // free: more threads than hardware threads
  double q = 0, proven_l2 = 0, proven_cw = 0;
  Contraction l2, cw;
  int exact = 0;  // runs that ended with every output the same bits
  std::uint64_t worst_l2_seed = 0;
  double before_l2_mean = 0;
  // Kernel counters, summed over members and runs.
  std::int64_t rounds_computed = 0, rounds_skipped = 0, values_read = 0, collect_retries = 0,
               adopted = 0;
  std::int64_t steps = 0;  // scheduled: register accesses
  double seconds = 0;
};

bool AllSame(const Family& xs) {
  for (const auto& x : xs) {
    for (std::size_t k = 0; k < x.size(); ++k) {
      if (std::bit_cast<std::uint64_t>(x[k]) != std::bit_cast<std::uint64_t>(xs[0][k]))
        return false;
    }
  }
  return true;
}

std::uint64_t TrialSeed(std::uint64_t seed, int m, int d, int rounds, int trial) {
  std::uint64_t z = Mix64(seed ^ 0x61677265656d656eULL);  // "agreemen"
  for (const auto v : {m, d, rounds, trial})
    z = Mix64(z ^ (static_cast<std::uint64_t>(v) + 0x9E3779B97F4A7C15ULL));
  return z;
}

Cell Measure(const Options& o, const std::string& mode, int m, int d, int rounds, unsigned cores) {
  Cell c;
  c.mode = mode;
  c.m = m;
  c.d = d;
  c.rounds = rounds;
  c.trials = o.trials;
  c.oversubscribed = mode == "free" && static_cast<unsigned>(m) > cores;
  c.q = SlidesFactor(m);
  c.proven_l2 = ProvenFactorL2(m, d);
  c.proven_cw = ProvenFactorCw(m, d);
  std::unique_ptr<Interleaver> il;
  if (mode == "scheduled") il = std::make_unique<Interleaver>(m);
  const auto t0 = Clock::now();
  double before_sum = 0;
  for (int t = 0; t < o.trials; ++t) {
    const std::uint64_t seed = TrialSeed(o.seed, m, d, rounds, t);
    const Family inputs = RandomInputs(seed, m, d);
    Run run;
    if (il) {
      run = RunScheduled(*il, inputs, rounds, t, seed, &c.steps);
    } else {
      run = RunFree(inputs, rounds);
    }
    const double l2_before = LargestDistance(Views(inputs)),
                 l2_after = LargestDistance(Views(run.outputs));
    const double cw_before = CoordinateDiameter(Views(inputs)),
                 cw_after = CoordinateDiameter(Views(run.outputs));
    const int worst_before = c.l2.worst_trial;
    c.l2.Add(l2_before, l2_after, rounds, c.q, c.proven_l2, t);
    if (c.l2.worst_trial != worst_before) c.worst_l2_seed = seed;
    c.cw.Add(cw_before, cw_after, rounds, c.q, c.proven_cw, t);
    c.exact += AllSame(run.outputs);
    before_sum += l2_before;
    for (const auto& k : run.counters) {
      c.rounds_computed += k.rounds;
      c.rounds_skipped += k.rounds_skipped;
      c.values_read += k.values_read;
      c.collect_retries += k.collect_retries;
      c.adopted += k.adopted_from >= 0;
    }
  }
  c.before_l2_mean = before_sum / o.trials;
  c.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return c;
}

// ---------------------------------------------------------------- output

// The columns of a row, in order: name and value (a number as text; "" for none).
std::vector<std::pair<std::string, std::string>> Columns(const Cell& c) {
  const double runs = c.trials, member_runs = static_cast<double>(c.trials) * c.m;
  return {
      {"mode", c.mode},
      {"members", std::to_string(c.m)},
      {"dim", std::to_string(c.d)},
      {"rounds", std::to_string(c.rounds)},
      {"trials", std::to_string(c.trials)},
      {"oversubscribed", c.oversubscribed ? "1" : "0"},
      {"slides_q", Num(c.q)},
      {"proven_l2", Num(c.proven_l2)},
      {"proven_cw", Num(c.proven_cw)},
      {"l2_mean", Num(c.l2.Mean())},
      {"l2_median", Num(c.l2.Median())},
      {"l2_worst", Num(c.l2.worst)},
      {"l2_mean_disagreeing", Num(c.l2.MeanOfDisagreeing())},
      {"l2_above_q", std::to_string(c.l2.above_q)},
      {"l2_above_proven", std::to_string(c.l2.above_proven)},
      {"l2_worst_trial", std::to_string(c.l2.worst_trial)},
      {"l2_worst_seed", std::to_string(c.worst_l2_seed)},
      {"cw_mean", Num(c.cw.Mean())},
      {"cw_median", Num(c.cw.Median())},
      {"cw_worst", Num(c.cw.worst)},
      {"cw_mean_disagreeing", Num(c.cw.MeanOfDisagreeing())},
      {"cw_above_q", std::to_string(c.cw.above_q)},
      {"cw_above_proven", std::to_string(c.cw.above_proven)},
      {"exact_fraction", Num(c.exact / runs)},
      {"l2_before_mean", Num(c.before_l2_mean)},
      {"rounds_skipped_per_member", Num(static_cast<double>(c.rounds_skipped) / member_runs)},
      {"adopted_fraction", Num(static_cast<double>(c.adopted) / member_runs)},
      {"values_read_per_member", Num(static_cast<double>(c.values_read) / member_runs)},
      {"collect_retries_per_member", Num(static_cast<double>(c.collect_retries) / member_runs)},
      {"steps_per_member",
       c.mode == "scheduled" ? Num(static_cast<double>(c.steps) / member_runs) : ""},
      {"seconds", Num(c.seconds)},
  };
}

bool IsText(const std::string& column) { return column == "mode"; }

void WriteOutputs(const Options& o, const std::vector<Cell>& cells, const std::string& command,
                  unsigned cores, double wall) {
  const std::string base = o.out + "/" + o.name;
  std::ofstream csv(base + ".csv");
  if (!csv) throw std::runtime_error("cannot write " + base + ".csv");
  for (std::size_t k = 0; const auto& [name, value] : Columns(cells.front()))
    csv << (k++ ? "," : "") << name;
  csv << '\n';
  for (const auto& c : cells) {
    for (std::size_t k = 0; const auto& [name, value] : Columns(c))
      csv << (k++ ? "," : "") << value;
    csv << '\n';
  }
  if (!csv.flush()) throw std::runtime_error("cannot write " + base + ".csv");

  const asyncopt::BuildInfo build = asyncopt::GetBuildInfo();
  std::ofstream js(base + ".json");
  if (!js) throw std::runtime_error("cannot write " + base + ".json");
  js << "{\n  \"context\": {\"program\": \"bench_agreement\", \"cpu\": " << JsonStr(CpuModel())
     << ", \"cores\": " << cores << ", \"compiler\": " << JsonStr(build.compiler)
     << ", \"build_type\": " << JsonStr(build.build_type)
     << ", \"git_commit\": " << JsonStr(build.git_commit)
     << ", \"version\": " << JsonStr(build.version) << ", \"date\": " << JsonStr(UtcNow())
     << ", \"wall_seconds\": " << JsonNum(wall) << ", \"command\": " << JsonStr(command) << "},\n";
  js << "  \"settings\": {\"trials\": " << o.trials << ", \"seed\": " << o.seed
     << ", \"inputs\": \"m independent N(0, I_d) vectors\", \"scheduled_weights\": \"equal on even "
        "trials, "
        "0.05 + U[0,1) on odd trials\", \"scheduled_max_burst\": \"1, 4 or 3m register accesses by "
        "trial % 3\"},\n";
  js << "  \"cells\": [\n";
  for (std::size_t i = 0; i < cells.size(); ++i) {
    js << "    {";
    for (std::size_t k = 0; const auto& [name, value] : Columns(cells[i])) {
      js << (k++ ? ", " : "") << JsonStr(name) << ": "
         << (IsText(name)    ? JsonStr(value)
             : value.empty() ? std::string("null")
                             : value);
    }
    js << (i + 1 < cells.size() ? "},\n" : "}\n");
  }
  js << "  ]\n}\n";
  if (!js.flush()) throw std::runtime_error("cannot write " + base + ".json");
}

void PrintRow(const Cell& c) {
  std::printf(
      "%-9s %3d %5d %2d %5.3f %5.3f | %6.4f %6.4f %4d %4d | %6.4f %6.4f %4d %4s | %5.1f%%%s\n",
      c.mode.c_str(), c.m, c.d, c.rounds, c.q, c.proven_l2, c.l2.Mean(), c.l2.worst, c.l2.above_q,
      c.l2.above_proven, c.cw.Mean(), c.cw.worst, c.cw.above_q,
      std::isfinite(c.proven_cw) ? std::to_string(c.cw.above_proven).c_str() : "-",
      100.0 * c.exact / c.trials, c.oversubscribed ? "  oversubscribed" : "");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options o = ParseArgs(argc, argv);
    std::string command = argv[0];
    for (int i = 1; i < argc; ++i) command += std::string(" ") + argv[i];
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    std::printf(
        "bench_agreement: %d trials per cell, seed %llu, %u hardware threads (free mode: m > %u is "
        "oversubscribed)\n",
        o.trials, static_cast<unsigned long long>(o.seed), cores, cores);
    std::printf(
        "per-round factor (after/before)^(1/R) of Delta_2 (largest distance) and Delta_cw "
        "(coordinate "
        "diameter); >q, >pr: runs above q^R, proven^R\n");
    std::printf("%-9s %3s %5s %2s %5s %5s | %6s %6s %4s %4s | %6s %6s %4s %4s | %6s\n", "mode", "m",
                "d", "R", "q", "prov", "L2mean", "L2wrst", ">q", ">pr", "CWmean", "CWwrst", ">q",
                ">pr", "exact");
    const auto t0 = Clock::now();
    std::vector<Cell> cells;
    for (const auto& mode : o.modes) {
      for (const int m : o.members) {
        for (const int d : o.dims) {
          for (const int r : o.rounds) {
            cells.push_back(Measure(o, mode, m, d, r, cores));
            PrintRow(cells.back());
          }
        }
      }
    }
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    WriteOutputs(o, cells, command, cores, wall);
    std::fprintf(stderr, "wrote %s/%s.{csv,json} (%.1f s)\n", o.out.c_str(), o.name.c_str(), wall);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_agreement: %s\n", e.what());
    return 2;
  }
}
