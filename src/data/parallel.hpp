// asyncopt internal: tbb::parallel_for over an index range with a grain size.
// (ThreadSanitizer builds link a oneTBB built with TBB_SANITIZE=thread, see
// scripts/build-tbb-tsan.sh, so no extra happens-before edges are needed.)
#pragma once

#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>

namespace asyncopt::data {

template <typename Index, typename Body>
void ParallelFor(Index begin, Index end, Index grain, const Body& body) {
  tbb::parallel_for(tbb::blocked_range<Index>(begin, end, grain),
                    [&](const tbb::blocked_range<Index>& range) { body(range); });
}

}  // namespace asyncopt::data
