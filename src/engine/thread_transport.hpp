// ThreadTransport: the ranks are threads of one process (issue 15, section
// 2). Each rank has an inbox: the lock-free many-producer, one-consumer
// mailbox of kernels/mailbox.hpp (a send is one compare-and-swap on the
// inbox's head; the receiver takes the whole list with one exchange). A
// packet moves, it is not copied; WireBytes() counts what MPI would send.
//
// Waiting: a receiver with too little blocks on its inbox's condition
// variable with a deadline (std::atomic::wait has no deadline in C++20):
// until anything arrives (ReceiveUntil) or until as many packets as it asked
// for have (ReceiveAtLeast); a send takes the inbox's mutex only when a
// receiver waits and has enough, to wake it. Nothing spins.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "engine/transport.hpp"
#include "kernels/mailbox.hpp"

namespace asyncopt::engine {

class ThreadNetwork {
 public:
  explicit ThreadNetwork(int size);
  ~ThreadNetwork();
  ThreadNetwork(const ThreadNetwork&) = delete;
  ThreadNetwork& operator=(const ThreadNetwork&) = delete;

  int size() const { return static_cast<int>(endpoints_.size()); }
  // Rank r's endpoint; only rank r's thread may use it.
  Transport& endpoint(int rank);

  // A closed rank is a dead process: what it had not taken is discarded,
  // and packets sent to it are counted by their sender and dropped (so a
  // crashed peer's inbox does not grow while the others go on). Rank r's
  // thread closes and reopens its own endpoint (decentralized's crash and
  // restart faults).
  void Close(int rank);
  void Reopen(int rank);

 private:
  struct Node {
    Node* next = nullptr;
    Packet packet;
  };
  class Endpoint;
  std::vector<std::unique_ptr<kernels::Mailbox<Node>>> inboxes_;
  std::unique_ptr<std::atomic<bool>[]> closed_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
};

}  // namespace asyncopt::engine
