// MpiSession and MpiTransport (mpi_transport.hpp): the engine's transport
// over MPI point-to-point messages on MPI_COMM_WORLD with one tag.
//
// Errors: the session sets MPI_ERRORS_RETURN on MPI_COMM_WORLD, so a failed
// MPI call returns a code instead of ending the job; Check() turns it into
// asyncopt::Error (kIo) naming the call and MPI's own text. A message that
// does not deserialize is asyncopt::Error (kInvalidInput) naming its sender.
//
// Waiting never spins for long: Open MPI makes progress only inside MPI
// calls and its blocking calls poll a core, so every wait here (a receive
// with a deadline, a large message that has begun to arrive, the pending
// sends at shutdown) is a loop of MPI_Test-like calls paced by Backoff:
// polls for the transport's spin (200 us by default) after the rank's last
// message, then sleeps of 50 us until it has been idle 10 ms, growing to
// 1 ms after that.
#include "engine/mpi_transport.hpp"

#include <mpi.h>
#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "asyncopt/error.hpp"

namespace asyncopt::engine {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::microseconds;

// Throws asyncopt::Error naming `call` and MPI's text when rc is not MPI_SUCCESS.
void Check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(rc, text, &length) != MPI_SUCCESS) length = 0;
  throw Error(ErrorKind::kIo, std::string(call) + " failed: " +
                                  (length > 0 ? std::string(text, static_cast<std::size_t>(length))
                                              : "MPI error code " + std::to_string(rc)));
}

// The pace of a polling loop, set by how long the rank has been idle: the
// time since `since` (MpiTransport: its last message sent or received; a
// fresh wait: now). Within `spin` of it (MpiTransport's kDefaultSpin:
// 200 us) it polls without pause, so a reply a few microseconds away -- the
// common case -- is caught at once (sched_yield instead would hand a loaded
// core to another process for a whole time slice, milliseconds: a 16-yield
// wait made an empty round trip 3.5 ms on a loaded machine, polling
// 1.3 us). Then it sleeps 50 us at a time until the rank has been idle for
// kShortPhase (10 ms: a peer's step, a message's fragments, a master's
// reply to several workers all fall inside it), then 100, 200, 500 us and
// 1 ms from 100 ms on, so a rank waiting for a slow or stalled peer leaves
// the core to the computing ones (a wake-up every 50 us costs about a tenth
// of a core; every 1 ms, about 0.5%). Measuring from the last message, not
// from the call, matters: the engine waits in calls of at most 20 ms
// (runtime::kPoll), and a new 10 ms of short sleeps in each would keep an
// idle rank waking every 50 us. A pause never runs past its deadline.
//
// While it sleeps the thread's timer slack is 1 us (restored when the wait
// ends): Linux pads a normal thread's sleep by up to its slack, 50 us by
// default, to batch wake-ups, which made every 20 us sleep ~70 us and a
// sleeping rank answer up to a millisecond late. Measured on madelon (SODA,
// 2 worker ranks + master on 2 cores, time to 1e-6): 200 us of polling then
// 20 us..1 ms sleeps with the default slack took 0.59 s; with 50 us sleeps
// and 1 us slack, 0.13 s, the threaded transport's time (0.12 s).
//
// Open MPI moves the fragments of a large message only inside the
// sender's MPI calls; a sender waiting here calls MPI_Testsome at every
// wake-up, so its sends progress at the same pace.
class Backoff {
 public:
  Backoff(Clock::time_point since, Clock::duration spin) : since_(since), spin_until_(since + spin) {}
  Backoff(const Backoff&) = delete;
  Backoff& operator=(const Backoff&) = delete;
  ~Backoff() {
    if (saved_slack_ > 0) prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(saved_slack_), 0, 0, 0);
  }

  // Pauses once; false (without pausing) when `deadline` has passed.
  bool Pause(Clock::time_point deadline) {
    const auto now = Clock::now();
    if (now >= deadline) return false;
    if (now < spin_until_) return true;
    const Clock::duration idle = now - since_;
    Clock::duration sleep = kShortSleep;
    if (idle >= kShortPhase) {
      sleep = idle < std::chrono::milliseconds{20}    ? microseconds{100}
              : idle < std::chrono::milliseconds{50}  ? microseconds{200}
              : idle < std::chrono::milliseconds{100} ? microseconds{500}
                                                      : microseconds{1000};
    }
    if (saved_slack_ < 0) {
      // PR_GET_TIMERSLACK returns the slack in ns; -1 on error (then left as is).
      const int slack = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
      if (slack > static_cast<int>(kSlackNs) &&
          prctl(PR_SET_TIMERSLACK, kSlackNs, 0, 0, 0) == 0) {
        saved_slack_ = slack;
      } else {
        saved_slack_ = 0;  // nothing to restore
      }
    }
    std::this_thread::sleep_for(std::min<Clock::duration>(sleep, deadline - now));
    return true;
  }

 private:
  static constexpr microseconds kShortSleep{50};
  static constexpr std::chrono::milliseconds kShortPhase{10};
  static constexpr unsigned long kSlackNs = 1000;
  const Clock::time_point since_;
  const Clock::time_point spin_until_;
  int saved_slack_ = -1;  // -1: not yet asked; 0: nothing to restore
};

// How long a message that has begun to arrive may take to complete, and how
// long the destructor waits for the sends still pending.
constexpr std::chrono::seconds kMessageLimit{60};
constexpr std::chrono::seconds kShutdownLimit{10};
// Packets taken by one ReceiveAll: a flood of senders cannot hold the
// receiver in one call (the rest come with the next).
constexpr std::size_t kMaxPerReceive = 1024;
// Send buffers kept for reuse.
constexpr std::size_t kBufferPoolLimit = 64;

}  // namespace

// ---------------------------------------------------------------- MpiSession

MpiSession::MpiSession(int* argc, char*** argv) {
  int initialized = 0;
  Check(MPI_Initialized(&initialized), "MPI_Initialized");
  if (initialized) {
    throw Error(ErrorKind::kUnsupported,
                "MPI is already initialised in this process: one MpiSession per process, "
                "and it must be the one that calls MPI_Init_thread");
  }
  int provided = MPI_THREAD_SINGLE;
  Check(MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided), "MPI_Init_thread");
  if (provided < MPI_THREAD_SERIALIZED) {
    MPI_Finalize();
    throw Error(ErrorKind::kUnsupported,
                "this MPI library provides thread level " + std::to_string(provided) +
                    " (MPI_THREAD_SERIALIZED = " + std::to_string(MPI_THREAD_SERIALIZED) +
                    " is needed: the engine calls MPI from a thread other than main)");
  }
  try {
    Check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    Check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    Check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
  } catch (...) {
    MPI_Finalize();
    throw;
  }
}

MpiSession::~MpiSession() {
  int finalized = 0;
  if (MPI_Finalized(&finalized) == MPI_SUCCESS && !finalized) MPI_Finalize();
}

std::string MpiSession::host() const {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  Check(MPI_Get_processor_name(name, &length), "MPI_Get_processor_name");
  return std::string(name, static_cast<std::size_t>(std::max(length, 0)));
}

std::vector<int> MpiSession::HostRanks() const {
  MPI_Comm local = MPI_COMM_NULL;
  Check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &local),
        "MPI_Comm_split_type");
  int n = 0;
  const int rc = MPI_Comm_size(local, &n);
  std::vector<int> ranks(static_cast<std::size_t>(std::max(n, 1)), rank_);
  int me = rank_;
  const int rc2 = rc == MPI_SUCCESS
                      ? MPI_Allgather(&me, 1, MPI_INT, ranks.data(), 1, MPI_INT, local)
                      : rc;
  MPI_Comm_free(&local);
  Check(rc, "MPI_Comm_size");
  Check(rc2, "MPI_Allgather");
  std::sort(ranks.begin(), ranks.end());
  return ranks;
}

namespace {
void AllReduce(std::vector<double>* values, MPI_Op op, const char* what) {
  if (values->size() > static_cast<std::size_t>(INT_MAX)) {
    throw std::length_error(std::string(what) + " of " + std::to_string(values->size()) +
                            " values: more than MPI's int count");
  }
  Check(MPI_Allreduce(MPI_IN_PLACE, values->data(), static_cast<int>(values->size()), MPI_DOUBLE,
                      op, MPI_COMM_WORLD),
        "MPI_Allreduce");
}
}  // namespace

void MpiSession::AllMax(std::vector<double>* values) { AllReduce(values, MPI_MAX, "AllMax"); }
void MpiSession::AllSum(std::vector<double>* values) { AllReduce(values, MPI_SUM, "AllSum"); }

void MpiSession::Broadcast(std::vector<char>* bytes, int root) {
  std::uint64_t size = bytes->size();
  Check(MPI_Bcast(&size, 1, MPI_UINT64_T, root, MPI_COMM_WORLD), "MPI_Bcast");
  if (rank_ != root) bytes->resize(size);
  // In pieces of at most 1 GiB: MPI counts are ints.
  constexpr std::uint64_t kPiece = std::uint64_t{1} << 30;
  for (std::uint64_t at = 0; at < size; at += kPiece) {
    const int n = static_cast<int>(std::min(kPiece, size - at));
    Check(MPI_Bcast(bytes->data() + at, n, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
  }
}

void MpiSession::Abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::abort();  // MPI_Abort does not return; if it did, the process still ends here
}

// ---------------------------------------------------------------- MpiTransport

struct MpiTransport::Impl {
  // A send in flight: its request and the bytes MPI reads until it completes.
  struct PendingSend {
    std::vector<char> bytes;
    int to = 0;
  };

  int rank = 0;
  int size = 1;
  Clock::duration spin{};  // Backoff's polling phase
  // The last message sent or received: how long the rank has been idle.
  Clock::time_point last_activity = Clock::now();
  // requests[k] belongs to pending[k]; finished ones are swapped out by Reap.
  std::vector<MPI_Request> requests;
  std::vector<PendingSend> pending;
  std::vector<std::vector<char>> free_buffers;
  std::vector<int> done;  // MPI_Testsome's indices
  std::vector<MPI_Status> statuses;
  std::vector<char> incoming;  // the receive buffer, reused

  // Completes what has finished of the pending sends (MPI_Testsome), keeping
  // their buffers for reuse. Throws when a send failed.
  void Reap() {
    if (requests.empty()) return;
    const int n = static_cast<int>(requests.size());
    done.resize(requests.size());
    statuses.resize(requests.size());
    int count = 0;
    const int rc = MPI_Testsome(n, requests.data(), &count, done.data(), statuses.data());
    if (rc == MPI_ERR_IN_STATUS) {
      for (int k = 0; k < count; ++k) {
        const int err = statuses[static_cast<std::size_t>(k)].MPI_ERROR;
        if (err != MPI_SUCCESS) {
          const int to = pending[static_cast<std::size_t>(done[static_cast<std::size_t>(k)])].to;
          Check(err, ("MPI_Isend to rank " + std::to_string(to)).c_str());
        }
      }
    }
    Check(rc, "MPI_Testsome");
    if (count == MPI_UNDEFINED || count == 0) return;
    // Remove the finished entries (their requests are MPI_REQUEST_NULL now),
    // highest index first so swapping with the back never moves one of them.
    std::sort(done.begin(), done.begin() + count, std::greater<>());
    for (int k = 0; k < count; ++k) {
      const auto i = static_cast<std::size_t>(done[static_cast<std::size_t>(k)]);
      if (free_buffers.size() < kBufferPoolLimit)
        free_buffers.push_back(std::move(pending[i].bytes));
      if (i + 1 != requests.size()) {
        requests[i] = requests.back();
        pending[i] = std::move(pending.back());
      }
      requests.pop_back();
      pending.pop_back();
    }
  }

  // Receives the message `message` (matched by MPI_Improbe) of `bytes` bytes
  // from `from` into `incoming`: a non-blocking receive completed by polling
  // with Backoff (MPI_Recv would spin while a large message's sender is
  // busy elsewhere).
  void ReceiveMatched(MPI_Message* message, int bytes, int from) {
    incoming.resize(static_cast<std::size_t>(bytes));
    MPI_Request request = MPI_REQUEST_NULL;
    Check(MPI_Imrecv(incoming.data(), bytes, MPI_BYTE, message, &request), "MPI_Imrecv");
    const auto limit = Clock::now() + kMessageLimit;
    Backoff backoff(Clock::now(), spin);
    for (;;) {
      int complete = 0;
      MPI_Status status;
      Check(MPI_Test(&request, &complete, &status), "MPI_Test (receive)");
      if (complete) return;
      if (!backoff.Pause(limit)) {
        MPI_Cancel(&request);
        MPI_Request_free(&request);
        throw Error(ErrorKind::kIo, "a message of " + std::to_string(bytes) + " bytes from rank " +
                                        std::to_string(from) + " did not complete in " +
                                        std::to_string(kMessageLimit.count()) + " s");
      }
    }
  }
};

MpiTransport::MpiTransport(MpiSession& session, std::chrono::microseconds spin)
    : impl_(std::make_unique<Impl>()) {
  if (spin.count() < 0) throw std::invalid_argument("MpiTransport: a negative spin");
  impl_->rank = session.rank();
  impl_->size = session.size();
  impl_->spin =
      std::min<Clock::duration>(spin, std::chrono::hours(1));  // no overflow in now + spin
}

MpiTransport::~MpiTransport() {
  Impl& m = *impl_;
  const auto limit = Clock::now() + kShutdownLimit;
  Backoff backoff(Clock::now(), m.spin);
  try {
    for (m.Reap(); !m.requests.empty(); m.Reap()) {
      if (!backoff.Pause(limit)) break;
    }
  } catch (const std::exception& e) {
    std::cerr << "asyncopt: rank " << m.rank << ": pending MPI sends at shutdown: " << e.what()
              << "\n";
  }
  if (!m.requests.empty()) {
    // A receiver that never took its messages. MPI may still read the
    // buffers, so the whole state is left allocated (leaked), not freed.
    std::cerr << "asyncopt: rank " << m.rank << ": " << m.requests.size()
              << " MPI send(s) still pending after " << kShutdownLimit.count()
              << " s at shutdown; their buffers are left allocated\n";
    for (MPI_Request& r : m.requests) MPI_Request_free(&r);
    static_cast<void>(impl_.release());
  }
}

int MpiTransport::rank() const { return impl_->rank; }
int MpiTransport::size() const { return impl_->size; }

void MpiTransport::Send(int to, Packet&& p) {
  Impl& m = *impl_;
  if (to < 0 || to >= m.size) {
    throw std::out_of_range("send to rank " + std::to_string(to) + " of " + std::to_string(m.size));
  }
  m.Reap();
  p.from = m.rank;
  Impl::PendingSend send{{}, to};
  if (!m.free_buffers.empty()) {
    send.bytes = std::move(m.free_buffers.back());
    m.free_buffers.pop_back();
  }
  Serialize(p, &send.bytes);
  if (send.bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    throw std::length_error("a packet of " + std::to_string(send.bytes.size()) +
                            " bytes: more than one MPI message can carry");
  }
  MPI_Request request = MPI_REQUEST_NULL;
  Check(MPI_Isend(send.bytes.data(), static_cast<int>(send.bytes.size()), MPI_BYTE, to, kTag,
                  MPI_COMM_WORLD, &request),
        ("MPI_Isend to rank " + std::to_string(to)).c_str());
  CountSent(p);
  m.last_activity = Clock::now();
  m.requests.push_back(request);
  m.pending.push_back(std::move(send));
  Recycle(std::move(p));  // its bytes are in the send buffer now
}

std::size_t MpiTransport::ReceiveAll(std::vector<Packet>* out) {
  Impl& m = *impl_;
  m.Reap();
  std::size_t n = 0;
  while (n < kMaxPerReceive) {
    int found = 0;
    MPI_Message message = MPI_MESSAGE_NULL;
    MPI_Status status;
    Check(MPI_Improbe(MPI_ANY_SOURCE, kTag, MPI_COMM_WORLD, &found, &message, &status),
          "MPI_Improbe");
    if (!found) break;
    int bytes = 0;
    Check(MPI_Get_count(&status, MPI_BYTE, &bytes), "MPI_Get_count");
    const int from = status.MPI_SOURCE;
    m.ReceiveMatched(&message, bytes, from);
    Packet p = NewPacket();
    try {
      Deserialize(m.incoming.data(), m.incoming.size(), &p);
    } catch (const std::exception& e) {
      throw Error(ErrorKind::kInvalidInput,
                  "malformed message from rank " + std::to_string(from) + ": " + e.what());
    }
    if (p.from != from) {
      throw Error(ErrorKind::kInvalidInput, "malformed message from rank " + std::to_string(from) +
                                                ": it says it comes from rank " +
                                                std::to_string(p.from));
    }
    CountReceived(p);
    out->push_back(std::move(p));
    ++n;
  }
  if (n > 0) m.last_activity = Clock::now();
  return n;
}

std::size_t MpiTransport::ReceiveUntil(std::vector<Packet>* out, Deadline deadline) {
  Backoff backoff(impl_->last_activity, impl_->spin);
  for (;;) {
    if (const std::size_t n = ReceiveAll(out); n > 0) return n;
    if (!backoff.Pause(deadline)) return 0;
  }
}

}  // namespace asyncopt::engine
