// The engine's packets and the threaded transport (engine/packet.hpp,
// engine/thread_transport.hpp): one wire format, per-sender order, a
// receive that honours its deadline, byte counts that match the wire size,
// and many senders racing into one inbox (TSan runs this too).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

#include "engine/packet.hpp"
#include "engine/thread_transport.hpp"

namespace asyncopt::engine {
namespace {

Packet Sample() {
  Packet p;
  p.from = 3;
  p.kind = kFirstAlgorithmKind + 2;
  p.clock = 123456789012345ull;
  p.header = {1, -2, 3, 1LL << 40};
  p.scalars = {0.5, -1e300};
  p.index = {0, 7, 1 << 30};
  p.value = {1.25, -0.0, 3e-310};
  return p;
}

TEST(Packet, SerializeRoundTripsEveryField) {
  const Packet p = Sample();
  std::vector<char> wire;
  Serialize(p, &wire);
  EXPECT_EQ(wire.size(), WireBytes(p));
  EXPECT_EQ(wire.size(), kPacketHeaderBytes + 3 * 4 + 3 * 8);
  Packet q;
  Deserialize(wire.data(), wire.size(), &q);
  EXPECT_EQ(q.from, p.from);
  EXPECT_EQ(q.kind, p.kind);
  EXPECT_EQ(q.clock, p.clock);
  EXPECT_EQ(q.header, p.header);
  EXPECT_EQ(q.scalars, p.scalars);
  EXPECT_EQ(q.index, p.index);
  ASSERT_EQ(q.value.size(), p.value.size());
  for (std::size_t k = 0; k < p.value.size(); ++k) {
    EXPECT_EQ(std::memcmp(&q.value[k], &p.value[k], sizeof(double)), 0);  // -0.0, subnormals
  }
  Packet dense;  // a dense block: no indices
  dense.value.assign(1000, 2.0);
  Serialize(dense, &wire);
  Deserialize(wire.data(), wire.size(), &q);
  EXPECT_FALSE(q.sparse());
  EXPECT_EQ(q.value, dense.value);
}

TEST(Packet, ATruncatedOrInconsistentBufferIsRefusedNotOverread) {
  std::vector<char> wire;
  Serialize(Sample(), &wire);
  Packet q;
  for (const std::size_t cut : {std::size_t{0}, kPacketHeaderBytes - 1, kPacketHeaderBytes,
                                wire.size() - 1}) {
    EXPECT_THROW(Deserialize(wire.data(), cut, &q), std::runtime_error) << cut;
  }
  std::vector<char> longer = wire;
  longer.push_back(0);
  EXPECT_THROW(Deserialize(longer.data(), longer.size(), &q), std::runtime_error);
  // A huge announced length (a corrupt header) is refused before any allocation.
  std::vector<char> corrupt = wire;
  const std::uint64_t huge = std::uint64_t{1} << 62;
  std::memcpy(corrupt.data() + kPacketHeaderBytes - 16, &huge, 8);
  EXPECT_THROW(Deserialize(corrupt.data(), corrupt.size(), &q), std::runtime_error);
}

TEST(ThreadTransport, DeliversInSendingOrderAndCountsWireBytes) {
  ThreadNetwork net(3);
  Transport& a = net.endpoint(1);
  Transport& master = net.endpoint(0);
  std::size_t expected = 0;
  for (int k = 0; k < 5; ++k) {
    Packet p = a.NewPacket();
    p.kind = kFirstAlgorithmKind;
    p.clock = static_cast<std::uint64_t>(k);
    p.index.assign(static_cast<std::size_t>(k), 1);
    p.value.assign(static_cast<std::size_t>(k), 1.0);
    expected += WireBytes(p);
    a.Send(0, std::move(p));
  }
  Packet control;
  control.kind = kHello;
  const std::size_t control_bytes = WireBytes(control);
  net.endpoint(2).Send(0, std::move(control));
  std::vector<Packet> in;
  EXPECT_EQ(master.ReceiveAll(&in), 6u);
  std::vector<std::uint64_t> clocks;
  for (const Packet& p : in) {
    if (p.from == 1) clocks.push_back(p.clock);
  }
  EXPECT_EQ(clocks, (std::vector<std::uint64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(a.traffic().bytes_sent, static_cast<std::int64_t>(expected));
  EXPECT_EQ(a.traffic().messages_sent, 5);
  EXPECT_EQ(master.traffic().bytes_received, static_cast<std::int64_t>(expected));
  EXPECT_EQ(master.traffic().control_bytes_received, static_cast<std::int64_t>(control_bytes));
  EXPECT_EQ(master.traffic().messages_received, 5);
  EXPECT_THROW(a.Send(7, Packet{}), std::out_of_range);
}

TEST(ThreadTransport, ReceiveUntilReturnsAtTheDeadlineWhenNothingComes) {
  ThreadNetwork net(2);
  std::vector<Packet> in;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(net.endpoint(0).ReceiveUntil(&in, t0 + std::chrono::milliseconds(30)), 0u);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(30));
  EXPECT_EQ(net.endpoint(0).ReceiveUntil(&in, t0), 0u);  // a past deadline: at once
  // A packet sent while the receiver waits wakes it before the deadline.
  std::jthread sender([&net] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    Packet p;
    p.kind = kGo;
    net.endpoint(1).Send(0, std::move(p));
  });
  EXPECT_EQ(net.endpoint(0).ReceiveUntil(&in, std::chrono::steady_clock::now() + std::chrono::seconds(60)), 1u);
  EXPECT_EQ(in.front().from, 1);
}

// ReceiveAtLeast(3): the receiver sleeps through the first two packets and
// returns all three once the third has come (long before its deadline); at
// a deadline it returns what there is; packets already there count.
TEST(ThreadTransport, ReceiveAtLeastWaitsForTheCountItAsks) {
  ThreadNetwork net(3);
  std::vector<Packet> in;
  std::atomic<int> sent{0};
  {
    std::jthread sender([&net, &sent] {
      for (int k = 0; k < 3; ++k) {
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        Packet p;
        p.kind = kGo;
        sent.fetch_add(1);
        net.endpoint(1 + k % 2).Send(0, std::move(p));
      }
    });
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_GE(net.endpoint(0).ReceiveAtLeast(&in, 3, t0 + std::chrono::seconds(60)), 1u);
    EXPECT_EQ(sent.load(), 3);  // not back before the third was sent
    // (The third may still be on its way into the inbox: the wait counts a
    // packet just before it is in the list.)
    if (in.size() < 3) net.endpoint(0).ReceiveAtLeast(&in, 3 - in.size(), t0 + std::chrono::seconds(60));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
  }
  EXPECT_EQ(in.size(), 3u);
  in.clear();
  Packet p;
  p.kind = kGo;
  net.endpoint(2).Send(0, std::move(p));
  const auto t1 = std::chrono::steady_clock::now();
  EXPECT_EQ(net.endpoint(0).ReceiveAtLeast(&in, 2, t1 + std::chrono::milliseconds(30)), 1u);  // the deadline
  EXPECT_GE(std::chrono::steady_clock::now() - t1, std::chrono::milliseconds(30));
  EXPECT_EQ(net.endpoint(0).ReceiveAtLeast(&in, 1, t1), 0u);  // a past deadline, nothing there: at once
}

// Many senders, one receiver: every packet arrives once, each sender's in
// order, and the recycled buffers keep their capacity.
TEST(ThreadTransport, ManySendersOneReceiverLoseNothing) {
  constexpr int kSenders = 6;
  constexpr int kEach = 2000;
  ThreadNetwork net(kSenders + 1);
  std::vector<std::jthread> senders;
  for (int r = 1; r <= kSenders; ++r) {
    senders.emplace_back([&net, r] {
      Transport& t = net.endpoint(r);
      for (int k = 0; k < kEach; ++k) {
        Packet p = t.NewPacket();
        p.kind = kFirstAlgorithmKind;
        p.clock = static_cast<std::uint64_t>(k);
        p.index.push_back(k);
        t.Send(0, std::move(p));
      }
    });
  }
  Transport& master = net.endpoint(0);
  std::vector<std::uint64_t> next(kSenders + 1, 0);
  std::vector<Packet> in;
  int received = 0;
  while (received < kSenders * kEach) {
    in.clear();
    master.ReceiveUntil(&in, std::chrono::steady_clock::now() + std::chrono::seconds(30));
    ASSERT_FALSE(in.empty()) << "stalled after " << received;
    for (Packet& p : in) {
      ASSERT_EQ(p.clock, next[static_cast<std::size_t>(p.from)]++);
      ASSERT_EQ(p.index.size(), 1u);
      master.Recycle(std::move(p));
      ++received;
    }
  }
  EXPECT_EQ(master.traffic().messages_received, kSenders * kEach);
  const Packet reused = master.NewPacket();
  EXPECT_TRUE(reused.index.empty());
  EXPECT_GE(reused.index.capacity(), 1u);  // a recycled buffer
}

}  // namespace
}  // namespace asyncopt::engine
