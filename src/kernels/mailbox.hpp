// asyncopt kernels: lock-free message passing between worker threads and one
// master thread (the SODA / DAve-PG engine, src/algorithms/soda.cpp).
//
//  * Mailbox<Node>: many producers, one consumer, intrusive nodes. A producer
//    pushes with one compare-and-swap on the head (a Treiber stack); the
//    consumer takes the whole list at once with one exchange and restores
//    arrival order. Because the consumer never pops a single node, the ABA
//    problem of Treiber's pop cannot arise. An empty mailbox blocks the
//    consumer on a condition variable for at most a given time (so it can
//    look at its stop conditions and deadlines), never in a spin; a push
//    takes the mutex only when the mailbox was empty.
//  * Signal: a sequence number one thread bumps and another waits on, for
//    the master's reply to a worker and for the pause gate.
//
// Ordering: a push is a release, TakeAll an acquire, so everything a
// producer wrote into its node before Push is visible to the consumer after
// TakeAll; Signal::Bump / Wait pair the same way for the reply direction.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace asyncopt::kernels {

template <class Node>  // Node has a member `Node* next`
class Mailbox {
 public:
  // Never blocks. Returns true if the mailbox was empty (the consumer may be
  // asleep and was woken).
  bool Push(Node* node) {
    Node* head = head_.load(std::memory_order_relaxed);
    do {
      node->next = head;
    } while (!head_.compare_exchange_weak(head, node, std::memory_order_release,
                                          std::memory_order_relaxed));
    if (head == nullptr) {
      // The consumer checks for emptiness under the mutex before it sleeps:
      // taking it here means it either saw this node or is asleep and gets
      // the notification.
      { std::lock_guard<std::mutex> lock(mutex_); }
      wake_.notify_one();
      return true;
    }
    return false;
  }

  // Every node pushed so far, oldest first (nullptr if none). Never blocks.
  Node* TakeAll() {
    Node* list = head_.exchange(nullptr, std::memory_order_acquire);
    Node* ordered = nullptr;  // reverse the LIFO stack into arrival order
    while (list != nullptr) {
      Node* next = list->next;
      list->next = ordered;
      ordered = list;
      list = next;
    }
    return ordered;
  }

  // Blocks until the mailbox is non-empty or `timeout` has passed; returns
  // whether it is non-empty (at once if it already is).
  template <class Rep, class Period>
  bool WaitNonEmptyFor(std::chrono::duration<Rep, Period> timeout) const {
    if (!Empty()) return true;
    std::unique_lock<std::mutex> lock(mutex_);
    return wake_.wait_for(lock, timeout, [this] { return !Empty(); });
  }

  bool Empty() const { return head_.load(std::memory_order_acquire) == nullptr; }

 private:
  std::atomic<Node*> head_{nullptr};
  mutable std::mutex mutex_;
  mutable std::condition_variable wake_;
};

// A monotone sequence number with blocking waits.
class Signal {
 public:
  std::uint32_t Value() const { return seq_.load(std::memory_order_acquire); }
  // Publishes everything written before it and wakes all waiters.
  void Bump() {
    seq_.fetch_add(1, std::memory_order_release);
    seq_.notify_all();
  }
  // Blocks until the value differs from `seen`; returns the new value.
  std::uint32_t WaitChange(std::uint32_t seen) const {
    seq_.wait(seen, std::memory_order_acquire);
    return seq_.load(std::memory_order_acquire);
  }

 private:
  std::atomic<std::uint32_t> seq_{0};
};

}  // namespace asyncopt::kernels
