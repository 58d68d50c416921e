// asyncopt kernels: the lock-free inbox of the engine's ThreadTransport
// (src/engine/thread_transport.hpp).
//
//  * Mailbox<Node>: many producers, one consumer, intrusive nodes. A producer
//    pushes with one compare-and-swap on the head (a Treiber stack); the
//    consumer takes the whole list at once with one exchange and restores
//    arrival order. Because the consumer never pops a single node, the ABA
//    problem of Treiber's pop cannot arise. A consumer that needs more than
//    it has blocks on a condition variable for at most a given time (so it
//    can look at its stop conditions and deadlines), never in a spin, until
//    the number of nodes it asked for has arrived: a push counts itself and
//    takes the mutex and wakes the consumer only when it is the node that
//    completes that number. A consumer waiting for a quorum of k messages
//    is woken once, not k times (on 2 CPUs with 8 nodes, the wake-ups were
//    a third of the decentralized solver's time: issue 18's closing note).
//
// Ordering: a push is a release, TakeAll an acquire, so everything a
// producer wrote into its node before Push is visible to the consumer after
// TakeAll.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace asyncopt::kernels {

template <class Node>  // Node has a member `Node* next`
class Mailbox {
 public:
  // Never blocks. Returns true if the mailbox was empty.
  bool Push(Node* node) {
    Node* head = head_.load(std::memory_order_relaxed);
    do {
      node->next = head;
    } while (!head_.compare_exchange_weak(head, node, std::memory_order_release,
                                          std::memory_order_relaxed));
    // Counted after it is in the list, so `pushed_` nodes are in the list
    // or taken. The node that makes the count the consumer waits for wakes
    // it: the consumer stores its target and then reads the count, this
    // push adds to the count and then reads the target (all seq_cst), so
    // either the consumer sees the count and does not sleep or this sees
    // the target; taking the mutex here means the consumer is then asleep
    // in the wait and gets the notification.
    const std::uint64_t n = pushed_.fetch_add(1, std::memory_order_seq_cst) + 1;
    if (n == wake_at_.load(std::memory_order_seq_cst)) {
      { std::lock_guard<std::mutex> lock(mutex_); }
      wake_.notify_one();
    }
    return head == nullptr;
  }

  // Every node pushed so far, oldest first (nullptr if none). Never blocks.
  Node* TakeAll() {
    Node* list = head_.exchange(nullptr, std::memory_order_acquire);
    Node* ordered = nullptr;  // reverse the LIFO stack into arrival order
    std::uint64_t k = 0;
    while (list != nullptr) {
      Node* next = list->next;
      list->next = ordered;
      ordered = list;
      list = next;
      ++k;
    }
    // A node taken before its push counted itself makes taken_ run ahead
    // of pushed_ for a moment; the targets below are absolute counts, so
    // that only delays nothing.
    if (k > 0) taken_.fetch_add(k, std::memory_order_relaxed);
    return ordered;
  }

  // Blocks until at least `count` (>= 1) nodes not yet taken have arrived
  // or `timeout` has passed; returns whether they have (at once if they
  // already had). Fewer may be waiting when it returns false.
  template <class Rep, class Period>
  bool WaitForCount(std::chrono::duration<Rep, Period> timeout, std::uint64_t count) const {
    const std::uint64_t target = taken_.load(std::memory_order_relaxed) + std::max<std::uint64_t>(count, 1);
    if (pushed_.load(std::memory_order_seq_cst) >= target) return true;
    std::unique_lock<std::mutex> lock(mutex_);
    wake_at_.store(target, std::memory_order_seq_cst);
    return wake_.wait_for(lock, timeout, [this, target] { return pushed_.load(std::memory_order_seq_cst) >= target; });
  }

  // Blocks until the mailbox is non-empty or `timeout` has passed; returns
  // whether it is non-empty (at once if it already is).
  template <class Rep, class Period>
  bool WaitNonEmptyFor(std::chrono::duration<Rep, Period> timeout) const {
    if (!Empty()) return true;
    return WaitForCount(timeout, 1) || !Empty();
  }

  bool Empty() const { return head_.load(std::memory_order_acquire) == nullptr; }

 private:
  std::atomic<Node*> head_{nullptr};
  std::atomic<std::uint64_t> pushed_{0};  // nodes pushed so far (after they are in the list)
  std::atomic<std::uint64_t> taken_{0};   // nodes taken so far (the consumer's)
  // The count of pushes the waiting consumer needs (0: nobody waits yet).
  mutable std::atomic<std::uint64_t> wake_at_{0};
  mutable std::mutex mutex_;
  mutable std::condition_variable wake_;
};

}  // namespace asyncopt::kernels
