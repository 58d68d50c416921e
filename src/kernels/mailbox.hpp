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
//    as many nodes as it asked for have been counted and one is there to
//    take; it is woken by the check a push makes after its swap. A consumer
//    waiting for the k models its quorum lacks is woken about once, not k
//    times (decentralized nodes on 2 CPUs: about 5% faster; issue 18's
//    closing note).
//
// The count: a producer counts itself (pushed_) before its compare-and-
// swap, the consumer counts what it took (taken_), so taken_ never passes
// pushed_, and pushed_ - taken_ is the nodes in the list plus those about
// to be. The consumer sleeps while pushed_ < its target or the list is
// empty; a producer, after its swap, wakes it when pushed_ (now) has
// reached the target. All of these are seq_cst: the consumer stores its
// target and then reads pushed_ and the head, a producer swaps and then
// reads pushed_ and the target, so either the consumer sees enough and does
// not sleep or the producer sees the target and wakes it; taking the mutex
// before the notification means a consumer that saw too little is asleep
// in the wait by then.
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
    pushed_.fetch_add(1, std::memory_order_seq_cst);  // before it is in the list
    Node* head = head_.load(std::memory_order_relaxed);
    do {
      node->next = head;
    } while (!head_.compare_exchange_weak(head, node, std::memory_order_seq_cst,
                                          std::memory_order_relaxed));
    if (pushed_.load(std::memory_order_seq_cst) >= wake_at_.load(std::memory_order_seq_cst)) {
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
    if (k > 0) taken_.fetch_add(k, std::memory_order_relaxed);
    return ordered;
  }

  // Blocks until at least `count` (>= 1) nodes not yet taken have been
  // counted (the last of them may still be on their way into the list) and
  // one is there to take, or until `timeout` has passed; returns whether
  // that held when it woke (at once if it already does). It may sleep on
  // for as long as a producer that has counted itself takes to swap.
  template <class Rep, class Period>
  bool WaitForCount(std::chrono::duration<Rep, Period> timeout, std::uint64_t count) const {
    const std::uint64_t target = taken_.load(std::memory_order_relaxed) + std::max<std::uint64_t>(count, 1);
    const auto enough = [this, target] {
      return pushed_.load(std::memory_order_seq_cst) >= target && head_.load(std::memory_order_seq_cst) != nullptr;
    };
    if (enough()) return true;
    std::unique_lock<std::mutex> lock(mutex_);
    wake_at_.store(target, std::memory_order_seq_cst);
    const bool ok = wake_.wait_for(lock, timeout, enough);
    wake_at_.store(kNobody, std::memory_order_seq_cst);
    return ok;
  }

  // Blocks until the mailbox is non-empty or `timeout` has passed; returns
  // whether it is non-empty (at once if it already is).
  template <class Rep, class Period>
  bool WaitNonEmptyFor(std::chrono::duration<Rep, Period> timeout) const {
    return WaitForCount(timeout, 1);
  }

  bool Empty() const { return head_.load(std::memory_order_acquire) == nullptr; }

 private:
  std::atomic<Node*> head_{nullptr};
  static constexpr std::uint64_t kNobody = ~std::uint64_t{0};
  std::atomic<std::uint64_t> pushed_{0};  // nodes pushed so far, counted before they are in the list
  std::atomic<std::uint64_t> taken_{0};   // nodes taken so far (the consumer's)
  // The count of pushes the waiting consumer needs (kNobody: none waits).
  mutable std::atomic<std::uint64_t> wake_at_{kNobody};
  mutable std::mutex mutex_;
  mutable std::condition_variable wake_;
};

}  // namespace asyncopt::kernels
