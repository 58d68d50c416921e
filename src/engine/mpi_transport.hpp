// MpiTransport: the ranks are MPI processes (issue 15, section 2). Built only
// when CMake finds MPI (Open MPI 4.1 from Debian: libopenmpi-dev,
// openmpi-bin); no MPI type appears in this header, so code that includes it
// needs no MPI headers. Part of the asyncopt_mpi library, which the CLI
// links when it exists (ASYNCOPT_HAVE_MPI).
//
// Sends are non-blocking (MPI_Isend of the packet's Serialize() buffer; the
// buffer lives until the send completes, finished sends are reaped on every
// call). Receives probe for any source; a receive with a deadline polls with
// a backoff of short sleeps (MPI has no blocking receive with a timeout, and
// Open MPI's blocking calls spin a core: with more ranks than cores a
// spinning rank would take the CPU of a computing one).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/transport.hpp"

namespace asyncopt::engine {

// The MPI environment of the process: MPI_Init_thread at construction
// (MPI_THREAD_SERIALIZED: one thread at a time calls MPI, not always the
// main one), MPI_Finalize at destruction (after every pending send
// completed). One per process. MPI_COMM_WORLD returns its errors
// (MPI_ERRORS_RETURN): a failed MPI call throws asyncopt::Error (kIo) naming
// the call and MPI's own message; a thread level below
// MPI_THREAD_SERIALIZED is asyncopt::Error (kUnsupported).
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  // This host's name (MPI_Get_processor_name), for messages and reports.
  std::string host() const;
  // The ranks that share this rank's host (MPI_Comm_split_type with
  // MPI_COMM_TYPE_SHARED), ascending. A collective: every rank calls it.
  std::vector<int> HostRanks() const;

  // Collectives for the start of a run, while every rank is alive (all
  // ranks must call them, in the same order): the element-wise maximum /
  // sum of `values` over all ranks, in place; a broadcast of rank `root`'s
  // bytes (resized on the others).
  void AllMax(std::vector<double>* values);
  void AllSum(std::vector<double>* values);
  void Broadcast(std::vector<char>* bytes, int root);
  // Ends every rank of the job (MPI_Abort) with `code`: the way out when a
  // rank is lost (a stopped process would keep mpirun waiting for ever).
  [[noreturn]] void Abort(int code);

 private:
  int rank_ = 0;
  int size_ = 1;
};

class MpiTransport final : public Transport {
 public:
  // The MPI tag of the engine's messages (another user of MPI_COMM_WORLD
  // must not use it; the tests send a foreign message with it).
  static constexpr int kTag = 15;

  // How long after the rank's last message a wait polls MPI without pause
  // before it starts sleeping (50 us at a time with 1 us of timer slack
  // until the rank has been idle 10 ms, then longer; see Backoff in
  // mpi_transport.cpp). 200 us outlasts a sleep's wake-up, so two
  // ranks exchanging messages fall back into polling after one of them
  // slept instead of sleeping in turn: with 20 us a round trip of an empty
  // message took 0.4-3.5 ms on the 2-core test machine, with 200 us 1.3 us
  // (bench/results/transport_pingpong.md). A wait longer than this leaves
  // the core to computing ranks (more ranks than cores); 200 us of polling
  // per wait is the price. A longer spin trades CPU for latency when every
  // rank has a core of its own. Measured and rejected: polling only 20 us
  // when most recent waits outlasted the spin (SODA on madelon, 2 worker
  // ranks on 2 cores: 0.27 s to 1e-6 instead of 0.17 s).
  static constexpr std::chrono::microseconds kDefaultSpin{200};

  // Uses MPI_COMM_WORLD of `session` with its own tag; one per process.
  explicit MpiTransport(MpiSession& session, std::chrono::microseconds spin = kDefaultSpin);
  ~MpiTransport() override;  // waits (bounded, 10 s) for pending sends to complete

  int rank() const override;
  int size() const override;
  // Serializes `p` into a buffer of its own and starts an MPI_Isend; `p`
  // goes back to the pool (Recycle).
  void Send(int to, Packet&& p) override;
  // Takes at most 1024 packets per call, so a flood cannot hold the caller.
  // A message larger than MPI's eager limit that has begun to arrive is
  // waited for (polling with the backoff, at most 60 s: past that, throws).
  // A message that does not deserialize, or whose `from` is not its MPI
  // source, throws asyncopt::Error (kInvalidInput) naming the sender.
  std::size_t ReceiveAll(std::vector<Packet>* out) override;
  std::size_t ReceiveUntil(std::vector<Packet>* out, Deadline deadline) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace asyncopt::engine
