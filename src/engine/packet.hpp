// A message between ranks of the message-passing engine (issue 15, section
// 2): who sent it, its kind, the sender's logical clock, a few header
// fields and a payload of (index, value) pairs or a dense block of values.
//
// The same bytes travel on every transport: ThreadTransport moves the
// Packet itself but counts the bytes WireBytes() says, MpiTransport sends
// Serialize()'s buffer. So bytes_sent / bytes_returned mean the same thing
// on threads and under MPI.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace asyncopt::engine {

// Kinds the engine itself uses; an algorithm's own kinds start at kFirstAlgorithmKind.
enum PacketKind : std::int32_t {
  kHello = 1,      // worker -> master, once: its shard's rows (header[0])
  kGo = 2,         // master -> worker: start (or go on after a pause) with a row grant
  kStop = 3,       // master -> worker: the run ends; nothing more will come
  kEvaluate = 4,   // master -> worker: the shard's loss at the payload's w (a trace point)
  kEvaluated = 5,  // worker -> master: that loss sum (scalars[0])
  kFailed = 6,     // worker -> master: the worker hit an error (text in the payload)
  kBye = 7,        // worker -> master: after kStop, its last message
  kFirstAlgorithmKind = 16,
};

struct Packet {
  std::int32_t from = 0;     // sender's rank
  std::int32_t kind = 0;     // PacketKind or an algorithm's kind
  std::uint64_t clock = 0;   // the sender's logical clock (its exchange count)
  // Algorithm-defined fields (SODA: rows computed, mask size, the copy's
  // exchange number, a row grant, ...).
  std::array<std::int64_t, 4> header{};
  std::array<double, 2> scalars{};
  // Payload: (index, value) pairs when index is non-empty; otherwise `value`
  // is a dense block (possibly empty).
  std::vector<std::int32_t> index;
  std::vector<double> value;

  void ClearPayload() {
    index.clear();
    value.clear();
  }
  bool sparse() const { return !index.empty(); }
};

// Bytes of the fixed part: from, kind, clock, header, scalars, two lengths.
inline constexpr std::size_t kPacketHeaderBytes = 4 + 4 + 8 + 4 * 8 + 2 * 8 + 2 * 8;

// Bytes this packet occupies on the wire (what Serialize writes).
inline std::size_t WireBytes(const Packet& p) {
  return kPacketHeaderBytes + 4 * p.index.size() + 8 * p.value.size();
}

inline void Serialize(const Packet& p, std::vector<char>* out) {
  out->resize(WireBytes(p));
  char* at = out->data();
  auto put = [&at](const void* src, std::size_t n) {
    if (n > 0) std::memcpy(at, src, n);
    at += n;
  };
  const std::uint64_t ni = p.index.size(), nv = p.value.size();
  put(&p.from, 4);
  put(&p.kind, 4);
  put(&p.clock, 8);
  put(p.header.data(), sizeof p.header);
  put(p.scalars.data(), sizeof p.scalars);
  put(&ni, 8);
  put(&nv, 8);
  put(p.index.data(), 4 * ni);
  put(p.value.data(), 8 * nv);
}

// Fills *p from a buffer Serialize wrote; throws std::runtime_error naming
// what is wrong for a truncated or inconsistent buffer (never reads past it).
inline void Deserialize(const char* data, std::size_t size, Packet* p) {
  if (size < kPacketHeaderBytes) {
    throw std::runtime_error("message of " + std::to_string(size) + " bytes is shorter than its " +
                             std::to_string(kPacketHeaderBytes) + "-byte header");
  }
  const char* at = data;
  auto get = [&at](void* dst, std::size_t n) {
    if (n > 0) std::memcpy(dst, at, n);
    at += n;
  };
  std::uint64_t ni = 0, nv = 0;
  get(&p->from, 4);
  get(&p->kind, 4);
  get(&p->clock, 8);
  get(p->header.data(), sizeof p->header);
  get(p->scalars.data(), sizeof p->scalars);
  get(&ni, 8);
  get(&nv, 8);
  const std::size_t rest = size - kPacketHeaderBytes;
  if (ni > rest / 4 || nv > rest / 8 || 4 * ni + 8 * nv != rest) {
    throw std::runtime_error("message of " + std::to_string(size) + " bytes announces " +
                             std::to_string(ni) + " indices and " + std::to_string(nv) + " values");
  }
  p->index.resize(ni);
  p->value.resize(nv);
  get(p->index.data(), 4 * ni);
  get(p->value.data(), 8 * nv);
}

}  // namespace asyncopt::engine
