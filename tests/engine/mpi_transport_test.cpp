// MpiSession and MpiTransport (engine/mpi_transport.hpp) under mpirun with
// 2, 3 and 5 ranks (tests/engine/CMakeLists.txt): every rank sends to every
// other rank packets of every shape (empty, sparse, dense, larger than Open
// MPI's 64 KB rendezvous threshold, a few MB); receivers check order per
// sender, contents and byte counts; a receive with a deadline honours it
// without spinning; a malformed message is refused naming its sender; a
// failed MPI call throws naming the call.
//
// GoogleTest with its own main: MPI is initialised before the tests and
// finalised after them; every rank runs every test, each test starts and
// ends with a collective (the fixture's Sync), so a failed check on one
// rank cannot leave the others in a different collective. Ranks other than
// 0 print only failures (--gtest_brief), each tagged with its rank.
#include "engine/mpi_transport.hpp"

#include <gtest/gtest.h>
#include <mpi.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "asyncopt/error.hpp"
#include "engine/packet.hpp"

namespace asyncopt::engine {
namespace {

using Clock = std::chrono::steady_clock;

MpiSession* g_session = nullptr;
MpiTransport* g_transport = nullptr;

class Mpi : public testing::Test {
 protected:
  Mpi() : trace_(__FILE__, __LINE__, "rank " + std::to_string(g_session->rank())) {}
  void SetUp() override { Sync(); }
  void TearDown() override { Sync(); }

  static void Sync() {
    std::vector<double> one{1.0};
    g_session->AllSum(&one);
  }
  MpiSession& session() { return *g_session; }
  MpiTransport& net() { return *g_transport; }
  int rank() const { return g_session->rank(); }
  int size() const { return g_session->size(); }

 private:
  testing::ScopedTrace trace_;
};

// ---------------------------------------------------------------- the session

TEST_F(Mpi, CollectivesGiveEveryRankTheSameAnswer) {
  std::vector<double> sum{static_cast<double>(rank()), 1.0};
  session().AllSum(&sum);
  EXPECT_EQ(sum[0], size() * (size() - 1) / 2.0);
  EXPECT_EQ(sum[1], size());
  std::vector<double> max{static_cast<double>(rank()), -static_cast<double>(rank())};
  session().AllMax(&max);
  EXPECT_EQ(max[0], size() - 1);
  EXPECT_EQ(max[1], 0.0);

  const int root = size() - 1;
  std::vector<char> bytes;
  if (rank() == root) {
    bytes.resize(3'000'001);
    for (std::size_t k = 0; k < bytes.size(); ++k) bytes[k] = static_cast<char>(k * 7 + 1);
  }
  session().Broadcast(&bytes, root);
  ASSERT_EQ(bytes.size(), 3'000'001u);
  std::size_t wrong = 0;
  for (std::size_t k = 0; k < bytes.size(); ++k) wrong += bytes[k] != static_cast<char>(k * 7 + 1);
  EXPECT_EQ(wrong, 0u);

  std::vector<char> none{'x'};
  if (rank() == 0) none.clear();
  session().Broadcast(&none, 0);
  EXPECT_TRUE(none.empty());
  EXPECT_FALSE(session().host().empty());
}

TEST_F(Mpi, AFailedMpiCallThrowsNamingTheCallAndMpisReason) {
  // A root outside the job: Open MPI checks the argument on every rank
  // (mpi_param_check, on by default) and, with MPI_ERRORS_RETURN, returns.
  std::vector<char> bytes{'a'};
  try {
    session().Broadcast(&bytes, size());
    ADD_FAILURE() << "a broadcast from rank " << size() << " did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kIo);
    EXPECT_NE(std::string(e.what()).find("MPI_Bcast failed: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("root"), std::string::npos) << e.what();
  }
}

// ---------------------------------------------------------------- delivery

constexpr int kPerPeer = 41;

// The i-th packet from `from` to `to`: its shape cycles through empty (a
// control kind), small sparse, small dense, dense over 64 KB, sparse over
// 64 KB; the last one is a dense 2.4 MB block. Values are exact integers.
Packet Expected(int from, int to, int i) {
  Packet p;
  p.from = from;
  p.clock = static_cast<std::uint64_t>(i);
  p.header = {from, to, i, -i};
  p.scalars = {0.5 * i, -1.0 / (i + 1)};
  const auto fill = [&](std::size_t n, bool sparse) {
    p.value.resize(n);
    if (sparse) p.index.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
      p.value[k] = from * 1000003.0 + to * 1009.0 + i * 17.0 + static_cast<double>(k);
      if (sparse) p.index[k] = static_cast<std::int32_t>(3 * k + static_cast<std::size_t>(i));
    }
  };
  p.kind = kFirstAlgorithmKind + i % 3;
  if (i == kPerPeer - 1) {
    fill(300'000, false);
  } else {
    switch (i % 5) {
      case 0:
        p.kind = kGo;
        break;  // an engine kind: counted as control bytes
      case 1:
        fill(static_cast<std::size_t>(i) + 1, true);
        break;
      case 2:
        fill(100, false);
        break;
      case 3:
        fill(10'000, false);
        break;  // 80 KB
      case 4:
        fill(12'000, true);
        break;  // 144 KB
    }
  }
  return p;
}

bool SamePacket(const Packet& a, const Packet& b) {
  return a.from == b.from && a.kind == b.kind && a.clock == b.clock && a.header == b.header &&
         a.scalars == b.scalars && a.index == b.index && a.value == b.value;
}

TEST_F(Mpi, DeliversEveryPacketOfEveryPeerInItsSendingOrderAndCountsWireBytes) {
  Traffic want;  // what the counters must say, from WireBytes of each packet
  const auto count = [](const Packet& p, std::int64_t* alg, std::int64_t* msgs, std::int64_t* ctl) {
    const auto bytes = static_cast<std::int64_t>(WireBytes(p));
    if (p.kind >= kFirstAlgorithmKind) {
      *alg += bytes;
      ++*msgs;
    } else {
      *ctl += bytes;
    }
  };
  const Traffic before = net().traffic();
  std::vector<Packet> got;
  std::vector<int> next(static_cast<std::size_t>(size()), 0);  // next clock expected per sender
  std::size_t received = 0, wrong = 0, out_of_order = 0;
  const auto take = [&] {
    for (Packet& p : got) {
      ++received;
      if (p.from < 0 || p.from >= size() || p.from == rank()) {
        ++wrong;
        continue;
      }
      int& expect = next[static_cast<std::size_t>(p.from)];
      if (p.clock != static_cast<std::uint64_t>(expect)) ++out_of_order;
      const Packet e = Expected(p.from, rank(), static_cast<int>(p.clock));
      if (!SamePacket(p, e)) ++wrong;
      count(e, &want.bytes_received, &want.messages_received, &want.control_bytes_received);
      expect = static_cast<int>(p.clock) + 1;
      net().Recycle(std::move(p));
    }
    got.clear();
  };
  // Sends interleaved with receives, so traffic flows both ways at once.
  for (int i = 0; i < kPerPeer; ++i) {
    for (int to = 0; to < size(); ++to) {
      if (to == rank()) continue;
      Packet p = Expected(rank(), to, i);
      p.from = -1;  // Send sets it
      count(p, &want.bytes_sent, &want.messages_sent, &want.control_bytes_sent);
      net().Send(to, std::move(p));
    }
    net().ReceiveAll(&got);
    take();
  }
  const std::size_t all = static_cast<std::size_t>(kPerPeer) * static_cast<std::size_t>(size() - 1);
  const auto give_up = Clock::now() + std::chrono::seconds(60);
  while (received < all && Clock::now() < give_up) {
    net().ReceiveUntil(&got, give_up);
    take();
  }
  EXPECT_EQ(received, all);
  EXPECT_EQ(wrong, 0u);
  EXPECT_EQ(out_of_order, 0u);
  for (int from = 0; from < size(); ++from) {
    if (from != rank()) {
      EXPECT_EQ(next[static_cast<std::size_t>(from)], kPerPeer) << "from " << from;
    }
  }

  const Traffic& now = net().traffic();
  EXPECT_EQ(now.bytes_sent - before.bytes_sent, want.bytes_sent);
  EXPECT_EQ(now.messages_sent - before.messages_sent, want.messages_sent);
  EXPECT_EQ(now.control_bytes_sent - before.control_bytes_sent, want.control_bytes_sent);
  EXPECT_EQ(now.bytes_received - before.bytes_received, want.bytes_received);
  EXPECT_EQ(now.messages_received - before.messages_received, want.messages_received);
  EXPECT_EQ(now.control_bytes_received - before.control_bytes_received,
            want.control_bytes_received);
  EXPECT_GT(want.control_bytes_sent, 0);
  // What the job sent is what it received, counted on the two sides apart.
  std::vector<double> totals{static_cast<double>(now.bytes_sent - before.bytes_sent),
                             static_cast<double>(now.bytes_received - before.bytes_received)};
  session().AllSum(&totals);
  EXPECT_EQ(totals[0], totals[1]);
  EXPECT_GT(totals[0], 0.0);
}

// ---------------------------------------------------------------- waiting

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

TEST_F(Mpi, ReceiveUntilAPastOrShortDeadlineReturnsNothingInBoundedTime) {
  std::vector<Packet> got;
  auto t0 = Clock::now();
  EXPECT_EQ(net().ReceiveUntil(&got, t0 - std::chrono::seconds(1)), 0u);
  EXPECT_LT(SecondsSince(t0), 0.5);
  t0 = Clock::now();
  EXPECT_EQ(net().ReceiveUntil(&got, t0 + std::chrono::milliseconds(30)), 0u);
  const double waited = SecondsSince(t0);
  EXPECT_GE(waited, 0.030);
  EXPECT_LT(waited, 2.0);  // 1 ms pauses at most; generous for a loaded machine
  EXPECT_TRUE(got.empty());
}

TEST_F(Mpi, ReceiveUntilSleepsInsteadOfSpinning) {
  // A spinning wait would use the core for the whole 300 ms (or its share of
  // it: with 5 ranks on 2 cores, 40%); the backoff sleeps, a few percent.
  std::vector<Packet> got;
  const double cpu0 = ThreadCpuSeconds();
  const auto t0 = Clock::now();
  EXPECT_EQ(net().ReceiveUntil(&got, t0 + std::chrono::milliseconds(300)), 0u);
  const double wall = SecondsSince(t0), cpu = ThreadCpuSeconds() - cpu0;
  EXPECT_LT(cpu, 0.2 * wall) << "cpu " << cpu << " s of " << wall << " s waiting";
}

TEST_F(Mpi, AWaitWithASendStillInFlightSleepsToo) {
  // Rank 0's 1 MB message to rank 1 cannot complete before rank 1 receives
  // it, 300 ms later; meanwhile rank 0 waits, waking every 50 us at most
  // to move it along, which must stay far from a spinning core.
  std::vector<Packet> got;
  if (rank() == 0) {
    Packet big;
    big.kind = kFirstAlgorithmKind;
    big.value.assign(131'072, 1.0);
    net().Send(1, std::move(big));
    const double cpu0 = ThreadCpuSeconds();
    const auto t0 = Clock::now();
    EXPECT_EQ(net().ReceiveUntil(&got, t0 + std::chrono::milliseconds(300)), 0u);
    const double wall = SecondsSince(t0), cpu = ThreadCpuSeconds() - cpu0;
    EXPECT_LT(cpu, 0.2 * wall) << "cpu " << cpu << " s of " << wall << " s waiting";
  } else if (rank() == 1) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_EQ(net().ReceiveUntil(&got, Clock::now() + std::chrono::seconds(30)), 1u);
    EXPECT_EQ(got[0].value.size(), 131'072u);
  }
}

TEST_F(Mpi, AReceiverWaitingWithADeadlineWakesForAPacket) {
  // Rank 0 sends to the others after 50 ms; they wait up to 30 s.
  std::vector<Packet> got;
  if (rank() == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (int to = 1; to < size(); ++to) net().Send(to, Expected(0, to, 2));
    return;
  }
  const auto t0 = Clock::now();
  ASSERT_EQ(net().ReceiveUntil(&got, t0 + std::chrono::seconds(30)), 1u);
  EXPECT_LT(SecondsSince(t0), 5.0);
  EXPECT_TRUE(SamePacket(got[0], Expected(0, rank(), 2)));
}

// ---------------------------------------------------------------- bad input

// Sends `bytes` to `to` with the engine's tag, bypassing the transport.
void SendRaw(const std::vector<char>& bytes, int to) {
  MPI_Request request;
  ASSERT_EQ(MPI_Isend(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, to,
                      MpiTransport::kTag, MPI_COMM_WORLD, &request),
            MPI_SUCCESS);
  ASSERT_EQ(MPI_Wait(&request, MPI_STATUS_IGNORE), MPI_SUCCESS);
}

// The next message's ReceiveUntil must throw kInvalidInput mentioning `words`.
void ExpectRefused(MpiTransport& net, const std::string& words) {
  std::vector<Packet> got;
  try {
    net.ReceiveUntil(&got, Clock::now() + std::chrono::seconds(30));
    ADD_FAILURE() << "a malformed message was accepted (" << got.size() << " packets)";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
}

TEST_F(Mpi, AMalformedMessageIsRefusedNamingItsSenderAndTheNextOneStillArrives) {
  const int to = (rank() + 1) % size(), from = (rank() + size() - 1) % size();
  const std::string sender = "malformed message from rank " + std::to_string(from) + ": ";
  // Shorter than the header.
  SendRaw(std::vector<char>(10, 'x'), to);
  ExpectRefused(net(), sender + "message of 10 bytes is shorter");
  // A whole packet with a byte too many.
  std::vector<char> wire;
  Serialize(Expected(rank(), to, 2), &wire);
  wire.push_back(0);
  SendRaw(wire, to);
  ExpectRefused(net(), sender);
  // A well-formed packet that claims another sender.
  Packet liar = Expected(rank(), to, 1);
  liar.from = rank() + 100;
  Serialize(liar, &wire);
  SendRaw(wire, to);
  ExpectRefused(net(), sender + "it says it comes from rank " + std::to_string(from + 100));
  // The transport goes on.
  net().Send(to, Expected(rank(), to, 3));
  std::vector<Packet> got;
  ASSERT_EQ(net().ReceiveUntil(&got, Clock::now() + std::chrono::seconds(30)), 1u);
  EXPECT_TRUE(SamePacket(got[0], Expected(from, rank(), 3)));
}

TEST_F(Mpi, ASendToARankOutsideTheJobThrows) {
  EXPECT_THROW(net().Send(size(), Packet{}), std::out_of_range);
  EXPECT_THROW(net().Send(-1, Packet{}), std::out_of_range);
  EXPECT_EQ(net().rank(), rank());
  EXPECT_EQ(net().size(), size());
}

}  // namespace
}  // namespace asyncopt::engine

int main(int argc, char** argv) {
  using asyncopt::engine::MpiSession;
  using asyncopt::engine::MpiTransport;
  MpiSession session(&argc, &argv);
  int failed = 1;
  try {
    if (session.rank() != 0) GTEST_FLAG_SET(brief, true);  // read by InitGoogleTest
    testing::InitGoogleTest(&argc, argv);
    asyncopt::engine::g_session = &session;
    {
      MpiTransport transport(session);
      asyncopt::engine::g_transport = &transport;
      failed = RUN_ALL_TESTS();
      asyncopt::engine::g_transport = nullptr;
    }
    std::vector<double> any{static_cast<double>(failed)};
    session.AllMax(&any);
    if (session.rank() == 0) {
      std::cout << (any[0] == 0 ? "all " : "some ") << "ranks of " << session.size()
                << (any[0] == 0 ? " passed\n" : " failed\n");
    }
    return any[0] == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "rank " << session.rank() << ": " << e.what() << "\n";
    session.Abort(2);  // the other ranks may be waiting in a collective
  }
}
