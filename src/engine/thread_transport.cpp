#include "engine/thread_transport.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace asyncopt::engine {

class ThreadNetwork::Endpoint final : public Transport {
 public:
  Endpoint(ThreadNetwork& net, int rank) : net_(net), rank_(rank) {}
  ~Endpoint() override {
    // Packets never taken (a run that ended with messages in flight).
    for (Node* n = net_.inboxes_[static_cast<std::size_t>(rank_)]->TakeAll(); n != nullptr;) {
      Node* next = n->next;
      delete n;
      n = next;
    }
  }

  int rank() const override { return rank_; }
  int size() const override { return net_.size(); }

  void Send(int to, Packet&& p) override {
    if (to < 0 || to >= net_.size()) {
      throw std::out_of_range("send to rank " + std::to_string(to) + " of " +
                              std::to_string(net_.size()));
    }
    p.from = rank_;
    CountSent(p);
    if (net_.closed_[static_cast<std::size_t>(to)].load(std::memory_order_acquire)) return;  // a dead peer
    Node* node = new Node{nullptr, std::move(p)};
    net_.inboxes_[static_cast<std::size_t>(to)]->Push(node);
  }

  std::size_t ReceiveAll(std::vector<Packet>* out) override {
    std::size_t n = 0;
    for (Node* node = inbox().TakeAll(); node != nullptr; ++n) {
      Node* next = node->next;
      CountReceived(node->packet);
      out->push_back(std::move(node->packet));
      delete node;
      node = next;
    }
    return n;
  }

  std::size_t ReceiveUntil(std::vector<Packet>* out, Deadline deadline) override {
    if (const std::size_t n = ReceiveAll(out); n > 0) return n;
    const auto now = std::chrono::steady_clock::now();
    if (deadline <= now) return 0;
    inbox().WaitNonEmptyFor(deadline - now);
    return ReceiveAll(out);
  }

  // Sleeps until `count` packets are waiting (one wake-up, from the push
  // that completes them) or the deadline.
  std::size_t ReceiveAtLeast(std::vector<Packet>* out, std::size_t count, Deadline deadline) override {
    const auto now = std::chrono::steady_clock::now();
    if (deadline > now) inbox().WaitForCount(deadline - now, count);
    return ReceiveAll(out);
  }

 private:
  kernels::Mailbox<Node>& inbox() { return *net_.inboxes_[static_cast<std::size_t>(rank_)]; }
  ThreadNetwork& net_;
  const int rank_;
};

ThreadNetwork::ThreadNetwork(int size) : closed_(std::make_unique<std::atomic<bool>[]>(static_cast<std::size_t>(size))) {
  for (int r = 0; r < size; ++r) inboxes_.push_back(std::make_unique<kernels::Mailbox<Node>>());
  for (int r = 0; r < size; ++r) endpoints_.push_back(std::make_unique<Endpoint>(*this, r));
}

ThreadNetwork::~ThreadNetwork() = default;

Transport& ThreadNetwork::endpoint(int rank) { return *endpoints_[static_cast<std::size_t>(rank)]; }

void ThreadNetwork::Close(int rank) {
  const auto r = static_cast<std::size_t>(rank);
  closed_[r].store(true, std::memory_order_release);
  // A sender that read "open" just before may still push one packet; it is
  // discarded here or at Reopen.
  for (Node* n = inboxes_[r]->TakeAll(); n != nullptr;) {
    Node* next = n->next;
    delete n;
    n = next;
  }
}

void ThreadNetwork::Reopen(int rank) {
  const auto r = static_cast<std::size_t>(rank);
  for (Node* n = inboxes_[r]->TakeAll(); n != nullptr;) {
    Node* next = n->next;
    delete n;
    n = next;
  }
  closed_[r].store(false, std::memory_order_release);
}

}  // namespace asyncopt::engine
