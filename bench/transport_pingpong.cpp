// bench_transport_pingpong: what one message costs on each transport of the
// message-passing engine, between two ranks.
//
//   bench_transport_pingpong --transport thread [--sizes 0,100,10000,1000000]
//                            [--seconds S] [--window W] [--spin-us US]
//   mpirun -np 2 bench_transport_pingpong --transport mpi|mpi-spin|raw [...]
//
//   thread  ThreadTransport (engine/thread_transport.hpp) between two threads
//   mpi     MpiTransport (engine/mpi_transport.hpp) between MPI ranks 0 and 1
//   mpi-spin  the same with a 10 s spin: its waits poll without pause (as
//           Open MPI's blocking calls do) instead of sleeping after 200 us
//   raw     the same exchanges written in MPI calls (MPI_Send / MPI_Recv,
//           MPI_Isend + MPI_Waitall): the floor MpiTransport stands on
//
// For every payload size P (bytes; a dense block of P / 8 doubles, so the
// wire carries the 80-byte header + 8 * floor(P / 8) bytes; raw sends the
// same number of bytes), rank 0 measures for S seconds each:
//   ping-pong  send one message, wait for its echo: round-trip times (p50,
//              p99, mean) and messages per second (2 per round trip);
//   stream     W messages back to back, then wait for a one-message ack:
//              messages per second and MB/s of wire bytes one way.
// Through a transport the echo sends back the packet it received (nothing
// is refilled); stream messages are written by the sender each time (as an
// algorithm writes its payload). The result is one JSON object on stdout
// (rank 0). Built with MPI only when CMake found it (ASYNCOPT_HAVE_MPI).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engine/packet.hpp"
#include "engine/thread_transport.hpp"
#include "engine/transport.hpp"
#ifdef ASYNCOPT_HAVE_MPI
#include <mpi.h>

#include "engine/mpi_transport.hpp"
#endif

namespace {

using asyncopt::engine::Packet;
using asyncopt::engine::Transport;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string transport;
  std::vector<std::int64_t> sizes{0, 100, 10'000, 1'000'000};
  double seconds = 0.5;  // per size and measure
  int window = 64;
  long spin_us = -1;  // MpiTransport's spin (-1: its default)
};

struct SizeResult {
  std::int64_t payload = 0;
  std::int64_t wire_bytes = 0;
  std::int64_t round_trips = 0;
  double pingpong_seconds = 0;
  double rtt_p50_us = 0, rtt_p99_us = 0, rtt_mean_us = 0, rtt_min_us = 0;
  std::int64_t stream_messages = 0;
  double stream_seconds = 0;
};

// Message kinds of the benchmark's protocol (tags for raw MPI).
enum Kind : std::int32_t {
  kPing = asyncopt::engine::kFirstAlgorithmKind,
  kStream,      // one of a window, no reply
  kStreamLast,  // the window's last: the echo side acks it
  kAck,
  kDone,  // the echo side stops
};

std::size_t Doubles(std::int64_t payload) { return static_cast<std::size_t>(payload / 8); }
std::int64_t WireOf(std::int64_t payload) {
  return static_cast<std::int64_t>(asyncopt::engine::kPacketHeaderBytes + 8 * Doubles(payload));
}
double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Fills the round-trip statistics of r from the samples (seconds).
void Summarise(std::vector<double>* rtt, double seconds, SizeResult* r) {
  std::sort(rtt->begin(), rtt->end());
  const std::size_t n = rtt->size();
  double sum = 0;
  for (double x : *rtt) sum += x;
  r->round_trips = static_cast<std::int64_t>(n);
  r->pingpong_seconds = seconds;
  r->rtt_min_us = 1e6 * rtt->front();
  r->rtt_p50_us = 1e6 * (*rtt)[n / 2];
  r->rtt_p99_us = 1e6 * (*rtt)[std::min(n - 1, n * 99 / 100)];
  r->rtt_mean_us = 1e6 * sum / static_cast<double>(n);
}

// The ping-pong and stream loops, timed by rank 0; `exchange()` makes one
// round trip, `window()` one window of the stream (ack included).
template <typename RoundTrip, typename Window>
SizeResult Measure(const Options& o, std::int64_t payload, RoundTrip&& exchange, Window&& window) {
  SizeResult r;
  r.payload = payload;
  r.wire_bytes = WireOf(payload);
  // Warm-up: buffers grow to size, pages are touched, the peer wakes.
  for (auto t = Clock::now(); Since(t) < std::min(0.05, o.seconds);) exchange();
  std::vector<double> rtt;
  const auto t0 = Clock::now();
  do {
    const auto t = Clock::now();
    exchange();
    rtt.push_back(Since(t));
  } while ((Since(t0) < o.seconds || rtt.size() < 20) && rtt.size() < 5'000'000);
  Summarise(&rtt, Since(t0), &r);
  window();  // warm-up
  const auto t1 = Clock::now();
  do {
    window();
    r.stream_messages += o.window;
  } while (Since(t1) < o.seconds || r.stream_messages < 4 * o.window);
  r.stream_seconds = Since(t1);
  return r;
}

// ---------------------------------------------------------------- through a Transport

Packet ReceiveOne(Transport& net, std::vector<Packet>* in) {
  const auto give_up = Clock::now() + std::chrono::seconds(30);
  while (in->empty()) {
    if (net.ReceiveUntil(in, give_up) == 0 && Clock::now() >= give_up) {
      throw std::runtime_error("rank " + std::to_string(net.rank()) + ": no message in 30 s");
    }
  }
  Packet p = std::move(in->front());
  in->erase(in->begin());
  return p;
}

// Rank 1: echoes pings, acks the last message of each window, until kDone.
void Echo(Transport& net) {
  std::vector<Packet> in;
  for (;;) {
    Packet p = ReceiveOne(net, &in);
    switch (p.kind) {
      case kPing:
        net.Send(0, std::move(p));
        break;
      case kStream:
        net.Recycle(std::move(p));
        break;
      case kStreamLast: {
        net.Recycle(std::move(p));
        Packet ack = net.NewPacket();
        ack.kind = kAck;
        net.Send(0, std::move(ack));
        break;
      }
      case kDone:
        return;
      default:
        throw std::runtime_error("echo: unexpected kind " + std::to_string(p.kind));
    }
  }
}

// Rank 0: every size, then kDone.
std::vector<SizeResult> Lead(const Options& o, Transport& net) {
  std::vector<SizeResult> out;
  std::vector<Packet> in;
  for (const std::int64_t payload : o.sizes) {
    const std::size_t n = Doubles(payload);
    Packet ball = net.NewPacket();
    ball.kind = kPing;
    ball.value.assign(n, 1.0);
    auto exchange = [&] {
      net.Send(1, std::move(ball));
      ball = ReceiveOne(net, &in);
    };
    auto window = [&] {
      for (int k = 0; k < o.window; ++k) {
        Packet p = net.NewPacket();
        p.kind = k + 1 == o.window ? kStreamLast : kStream;
        p.value.resize(n, 1.0);
        net.Send(1, std::move(p));
      }
      Packet ack = ReceiveOne(net, &in);
      if (ack.kind != kAck) throw std::runtime_error("stream: no ack");
      net.Recycle(std::move(ack));
    };
    out.push_back(Measure(o, payload, exchange, window));
    net.Recycle(std::move(ball));
  }
  Packet done = net.NewPacket();
  done.kind = kDone;
  net.Send(1, std::move(done));
  return out;
}

std::vector<SizeResult> RunThreads(const Options& o) {
  asyncopt::engine::ThreadNetwork net(2);
  std::exception_ptr echo_error;
  std::thread echo([&] {
    try {
      Echo(net.endpoint(1));
    } catch (...) {
      echo_error = std::current_exception();
    }
  });
  std::vector<SizeResult> out;
  try {
    out = Lead(o, net.endpoint(0));
  } catch (const std::exception& e) {
    // The echo thread may wait on the network for ever: end the process.
    std::cerr << "bench_transport_pingpong: " << e.what() << "\n";
    std::_Exit(1);
  }
  echo.join();
  if (echo_error) std::rethrow_exception(echo_error);
  return out;
}

// ---------------------------------------------------------------- raw MPI

#ifdef ASYNCOPT_HAVE_MPI
void Must(int rc, const char* call) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string(call) + " failed");
}

std::vector<SizeResult> RunRaw(const Options& o, int rank) {
  std::int64_t largest = WireOf(0);
  for (std::int64_t s : o.sizes) largest = std::max(largest, WireOf(s));
  std::vector<char> buffer(static_cast<std::size_t>(largest), 1);
  const int max = static_cast<int>(largest);
  if (rank == 1) {
    for (;;) {
      MPI_Status status;
      Must(MPI_Recv(buffer.data(), max, MPI_BYTE, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &status),
           "MPI_Recv");
      int bytes = 0;
      MPI_Get_count(&status, MPI_BYTE, &bytes);
      if (status.MPI_TAG == kPing) {
        Must(MPI_Send(buffer.data(), bytes, MPI_BYTE, 0, kPing, MPI_COMM_WORLD), "MPI_Send");
      } else if (status.MPI_TAG == kStreamLast) {
        Must(MPI_Send(buffer.data(), 0, MPI_BYTE, 0, kAck, MPI_COMM_WORLD), "MPI_Send");
      } else if (status.MPI_TAG == kDone) {
        return {};
      }
    }
  }
  std::vector<SizeResult> out;
  std::vector<MPI_Request> requests(static_cast<std::size_t>(o.window));
  for (const std::int64_t payload : o.sizes) {
    const int bytes = static_cast<int>(WireOf(payload));
    auto exchange = [&] {
      Must(MPI_Send(buffer.data(), bytes, MPI_BYTE, 1, kPing, MPI_COMM_WORLD), "MPI_Send");
      Must(MPI_Recv(buffer.data(), max, MPI_BYTE, 1, kPing, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
           "MPI_Recv");
    };
    auto window = [&] {
      for (int k = 0; k < o.window; ++k) {
        Must(MPI_Isend(buffer.data(), bytes, MPI_BYTE, 1, k + 1 == o.window ? kStreamLast : kStream,
                       MPI_COMM_WORLD, &requests[static_cast<std::size_t>(k)]),
             "MPI_Isend");
      }
      Must(MPI_Waitall(o.window, requests.data(), MPI_STATUSES_IGNORE), "MPI_Waitall");
      Must(MPI_Recv(nullptr, 0, MPI_BYTE, 1, kAck, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
    };
    out.push_back(Measure(o, payload, exchange, window));
  }
  Must(MPI_Send(nullptr, 0, MPI_BYTE, 1, kDone, MPI_COMM_WORLD), "MPI_Send");
  return out;
}
#endif

// ---------------------------------------------------------------- output

void PrintJson(const Options& o, const std::vector<SizeResult>& results, int ranks,
               const std::string& host) {
  std::ostringstream s;
  s.precision(6);
  s << "{\"transport\": \"" << o.transport << "\", \"ranks\": " << ranks << ", \"host\": \"" << host
    << "\", \"window\": " << o.window << ", \"seconds\": " << o.seconds << ", \"sizes\": [";
  for (std::size_t k = 0; k < results.size(); ++k) {
    const SizeResult& r = results[k];
    s << (k ? ",\n  " : "\n  ") << "{\"payload\": " << r.payload
      << ", \"wire_bytes\": " << r.wire_bytes << ", \"round_trips\": " << r.round_trips
      << ", \"rtt_p50_us\": " << r.rtt_p50_us << ", \"rtt_p99_us\": " << r.rtt_p99_us
      << ", \"rtt_mean_us\": " << r.rtt_mean_us << ", \"rtt_min_us\": " << r.rtt_min_us
      << ", \"pingpong_msgs_per_s\": "
      << 2.0 * static_cast<double>(r.round_trips) / r.pingpong_seconds
      << ", \"stream_messages\": " << r.stream_messages
      << ", \"stream_msgs_per_s\": " << static_cast<double>(r.stream_messages) / r.stream_seconds
      << ", \"stream_mb_per_s\": "
      << 1e-6 * static_cast<double>(r.stream_messages * r.wire_bytes) / r.stream_seconds << "}";
  }
  s << "\n]}\n";
  std::cout << s.str();
}

[[noreturn]] void Usage(const std::string& why) {
  std::cerr
      << "bench_transport_pingpong: " << why
      << "\nusage: bench_transport_pingpong --transport thread|mpi|mpi-spin|raw [--sizes B,B,...]"
         " [--seconds S] [--window W] [--spin-us US]\n";
  std::exit(2);
}

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (i + 1 >= argc) Usage(key + ": needs a value");
    const std::string value = argv[++i];
    try {
      if (key == "--transport") {
        o.transport = value;
      } else if (key == "--sizes") {
        o.sizes.clear();
        std::stringstream list(value);
        for (std::string item; std::getline(list, item, ',');) {
          std::size_t used = 0;
          o.sizes.push_back(std::stoll(item, &used));
          if (used != item.size() || o.sizes.back() < 0 || o.sizes.back() > (1LL << 30)) {
            throw std::invalid_argument(item);
          }
        }
        if (o.sizes.empty()) throw std::invalid_argument(value);
      } else if (key == "--seconds") {
        o.seconds = std::stod(value);
        if (!(o.seconds > 0 && o.seconds <= 600)) throw std::invalid_argument(value);
      } else if (key == "--spin-us") {
        o.spin_us = std::stol(value);
        if (o.spin_us < 0 || o.spin_us > 10'000'000) throw std::invalid_argument(value);
      } else if (key == "--window") {
        o.window = std::stoi(value);
        if (o.window < 1 || o.window > 4096) throw std::invalid_argument(value);
      } else {
        Usage("unknown option " + key);
      }
    } catch (const std::logic_error&) {
      Usage(key + " " + value +
            ": not a valid value (sizes 0..2^30 bytes, seconds in (0, 600],"
            " window 1..4096, spin-us 0..1e7)");
    }
  }
  if (o.transport != "thread" && o.transport != "mpi" && o.transport != "mpi-spin" &&
      o.transport != "raw") {
    Usage("--transport must be thread, mpi, mpi-spin or raw, not '" + o.transport + "'");
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  if (o.transport == "thread") {
    try {
      PrintJson(o, RunThreads(o), 2, "");
      return 0;
    } catch (const std::exception& e) {
      std::cerr << "bench_transport_pingpong: " << e.what() << "\n";
      return 1;
    }
  }
#ifdef ASYNCOPT_HAVE_MPI
  asyncopt::engine::MpiSession session(&argc, &argv);
  try {
    if (session.size() != 2) {
      throw std::runtime_error("run it with 2 ranks (mpirun -np 2), not " +
                               std::to_string(session.size()));
    }
    std::vector<SizeResult> results;
    if (o.transport == "raw") {
      results = RunRaw(o, session.rank());
    } else {
      auto spin = asyncopt::engine::MpiTransport::kDefaultSpin;
      if (o.spin_us >= 0) spin = std::chrono::microseconds(o.spin_us);
      if (o.transport == "mpi-spin") spin = std::chrono::microseconds(10'000'000);
      asyncopt::engine::MpiTransport net(session, spin);
      if (session.rank() == 0) {
        results = Lead(o, net);
      } else {
        Echo(net);
      }
    }
    if (session.rank() == 0) PrintJson(o, results, session.size(), session.host());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_transport_pingpong: rank " << session.rank() << ": " << e.what() << "\n";
    session.Abort(1);
  }
#else
  Usage("this build has no MPI (ASYNCOPT_WITH_MPI=OFF or MPI not found): --transport thread only");
#endif
}
