// asyncopt kernels: the dense loops of the mini-batch models and of the
// SPARS-AMS server, compiled twice -- for the baseline x86-64 (SSE2) and for
// AVX2 with FMA -- and picked once per process by what the CPU has.
//
// The build targets the baseline so the binary runs on any x86-64; these
// few loops carry most of a perceptron's time (the sparse input layer and
// the server's AMSGrad: issue 17's profile), and AVX2 doubles their width.
// GCC's `target` attribute compiles one function for an instruction set;
// the shared body is an always-inline template, so no code compiled for
// AVX2 can be reached from the baseline path (no ODR mix-up of the two).
//
// Arithmetic:
//  * amsgrad_step and scale_and_squares perform the same IEEE operations in the same order in
//    both variants (no FMA contraction: its AVX2 variant is compiled
//    without FMA), so its bits do not depend on the CPU.
//  * RowCombination and RowScatter may fuse a multiply and an add (FMA) on
//    a CPU that has it: their bits depend on the variant, which is fixed
//    for a machine (one thread and one seed still repeat bit for bit there).
//    ASYNCOPT_ISA=baseline in the environment forces the baseline variant.
#pragma once

#include <cstddef>
#include <cstdint>

namespace asyncopt::kernels {

// AMSGrad's constants for one step (see amsgrad.hpp).
struct AmsGradStepArgs {
  double beta1, beta2, epsilon, eta, scale;
};

struct DenseKernels {
  // z[0, n) += sum_k value[k] * W[index[k] * stride + (0, n)]: a sparse row
  // times a feature-major matrix, onto z (which holds the bias or partial
  // sums). `W` points at the first column wanted.
  void (*row_combination)(const double* W, std::size_t stride, const std::int32_t* index,
                          const double* value, std::int32_t nnz, double* z, std::size_t n);
  // G[index[k] * stride + (0, n)] += value[k] * a[0, n) for every k: the
  // gradient of the same matrix, scattered from a row's back-propagated a.
  void (*row_scatter)(double* G, std::size_t stride, const std::int32_t* index, const double* value,
                      std::int32_t nnz, const double* a, std::size_t n);
  // AMSGrad over [0, n) of theta, m, v, v_hat with g_t = scale x g.
  // Returns how many of the new theta[0, n) are not finite.
  std::size_t (*amsgrad_step)(const AmsGradStepArgs& args, double* theta, double* m, double* v, double* v_hat,
                              const double* g, std::size_t n);
  // y[0, n) = c x[0, n); returns sum x[i]^2, added in eight interleaved
  // lanes (lane i % 8) then the lanes in order: the same bits in both
  // variants (no FMA). The l2 term of a gradient and its regulariser in
  // one pass.
  double (*scale_and_squares)(const double* x, double c, double* y, std::size_t n);
  // The same sum of squares without y.
  double (*squares)(const double* x, std::size_t n);
  const char* isa;  // "avx2+fma" or "baseline"
};

// The variant for this CPU, chosen on first use (thread-safe).
const DenseKernels& Dense();
// Both variants, for tests that compare them.
const DenseKernels& DenseBaseline();
// Null when this CPU (or build) has no AVX2 and FMA.
const DenseKernels* DenseAvx2();

}  // namespace asyncopt::kernels
