// asyncopt kernels: the lock-free inbox of the engine's ThreadTransport
// (src/engine/thread_transport.hpp).
//
//  * Mailbox<Node>: many producers, one consumer, intrusive nodes. A producer
//    pushes with one compare-and-swap on the head (a Treiber stack); the
//    consumer takes the whole list at once with one exchange and restores
//    arrival order. Because the consumer never pops a single node, the ABA
//    problem of Treiber's pop cannot arise. An empty mailbox blocks the
//    consumer on a condition variable for at most a given time (so it can
//    look at its stop conditions and deadlines), never in a spin; a push
//    takes the mutex only when the mailbox was empty.
//
// Ordering: a push is a release, TakeAll an acquire, so everything a
// producer wrote into its node before Push is visible to the consumer after
// TakeAll.
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

}  // namespace asyncopt::kernels
