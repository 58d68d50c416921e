// The transport interface of the message-passing engine (issue 15, section
// 2). Endpoints are ranks 0..size-1. Sending never waits for the receiver;
// receiving either takes what has arrived or blocks until something does
// or a deadline passes: nothing in the engine waits without one.
//
// Implementations: ThreadTransport (ranks are threads of one process,
// thread_transport.hpp) and MpiTransport (ranks are MPI processes,
// mpi_transport.hpp). Each endpoint is used by one thread, its rank's.
//
// Bytes are counted here, by the transport, as WireBytes() of each packet:
// per endpoint, each direction, the algorithm's kinds apart from the
// engine's own control messages (hello, go, stop, trace evaluations).
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "engine/packet.hpp"

namespace asyncopt::engine {

using Deadline = std::chrono::steady_clock::time_point;

struct Traffic {
  std::int64_t bytes_sent = 0;          // algorithm kinds, by this endpoint
  std::int64_t messages_sent = 0;
  std::int64_t bytes_received = 0;
  std::int64_t messages_received = 0;
  std::int64_t control_bytes_sent = 0;  // the engine's kinds (< kFirstAlgorithmKind)
  std::int64_t control_bytes_received = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Queues `p` for rank `to` (p.from is set to rank()); never blocks on the
  // receiver. A transport that cannot deliver (MPI error) throws.
  virtual void Send(int to, Packet&& p) = 0;
  // Appends every packet that has arrived, in arrival order (per sender, in
  // sending order); never blocks. Returns how many it appended.
  virtual std::size_t ReceiveAll(std::vector<Packet>* out) = 0;
  // As ReceiveAll, but when nothing has arrived blocks until something does
  // or `deadline` passes. Returns how many it appended (0: the deadline).
  virtual std::size_t ReceiveUntil(std::vector<Packet>* out, Deadline deadline) = 0;
  // As ReceiveUntil, for a receiver that cannot go on with fewer than
  // `count` new packets (a quorum): a transport may sleep until that many
  // have arrived instead of waking at the first. Returns what has arrived
  // by then, possibly fewer (the deadline; this default wakes at the first).
  virtual std::size_t ReceiveAtLeast(std::vector<Packet>* out, std::size_t count, Deadline deadline) {
    (void)count;
    return ReceiveUntil(out, deadline);
  }

  const Traffic& traffic() const { return traffic_; }

  // A packet whose buffers (index, value capacity) a finished packet left:
  // senders take their packets here and receivers give theirs back with
  // Recycle, so steady traffic allocates nothing. The pool is the
  // endpoint's own (one thread).
  Packet NewPacket() {
    if (pool_.empty()) return Packet{};
    Packet p = std::move(pool_.back());
    pool_.pop_back();
    p.ClearPayload();
    return p;
  }
  void Recycle(Packet&& p) {
    if (pool_.size() < kPoolLimit) pool_.push_back(std::move(p));
  }

 protected:
  void CountSent(const Packet& p) {
    const auto bytes = static_cast<std::int64_t>(WireBytes(p));
    if (p.kind >= kFirstAlgorithmKind) {
      traffic_.bytes_sent += bytes;
      ++traffic_.messages_sent;
    } else {
      traffic_.control_bytes_sent += bytes;
    }
  }
  void CountReceived(const Packet& p) {
    const auto bytes = static_cast<std::int64_t>(WireBytes(p));
    if (p.kind >= kFirstAlgorithmKind) {
      traffic_.bytes_received += bytes;
      ++traffic_.messages_received;
    } else {
      traffic_.control_bytes_received += bytes;
    }
  }

 private:
  static constexpr std::size_t kPoolLimit = 64;
  Traffic traffic_;
  std::vector<Packet> pool_;
};

}  // namespace asyncopt::engine
