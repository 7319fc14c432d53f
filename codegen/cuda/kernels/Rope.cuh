//===- Rope.cuh - CUDA kernels: rotary position embedding -----------------===//
//
// The device body mirroring r1hk::rope (codegen/host/kernels/Rope.h): rotates
// [rows, Heads, D] rows, pair i (half style: elements i and i + D/2;
// interleaved, DeepSeek's: 2i and 2i + 1) by angle = float(pos) * invFreq[i],
// the fp32 product PyTorch forms. The host takes cos and sin of that float in
// double and rounds them once; so does this kernel, with its own double
// sin/cos (below): CUDA's double sincos keeps a local array for its
// large-argument reduction (a 40-byte stack frame). The rotation uses the
// host's vector expressions (one fma each), so with equal tables the results
// are the same bits.
//
// Launch: grid.x = rows, kThreads threads (a multiple of 32, at most 1024),
// no dynamic shared memory; block b rotates all heads of token row b. The
// D/2 cos/sin pairs are computed once per block into static shared memory
// (D * 4 bytes) and shared by the heads. in may equal out.
//
//===----------------------------------------------------------------------===//
#ifndef R1CK_ROPE_CUH
#define R1CK_ROPE_CUH

#include "Elementwise.cuh"
#include "R1Cuda.h"

#include <stdint.h>

namespace r1ck {
namespace rowwise {

/// sin and cos of the float `angle` in double, within about 1 ulp of double
/// (so, rounded to float, almost always the host's float(std::sin(angle))).
/// angle = (q + f) * pi/2 with q an integer and |f| <= 1/2: angle * 2/pi is
/// formed in double-double (exact enough for any |angle| < 2^31, i.e. every
/// position), f * pi/2 in [-pi/4, pi/4] goes to fdlibm's sin and cos
/// polynomials (musl's __sin/__cos), and q mod 4 picks the quadrant.
R1_DEVICE inline void sinCos(float angle, double &sinOut, double &cosOut) {
  constexpr double kTwoOverPiHi = 0x1.45f306dc9c883p-1, kTwoOverPiLo = -0x1.6b01ec5417056p-55;
  constexpr double kPiOver2Hi = 0x1.921fb54442d18p+0, kPiOver2Lo = 0x1.1a62633145c07p-54;
  const double a = angle;
  const double hi = a * kTwoOverPiHi;
  const double lo = fma(a, kTwoOverPiHi, -hi) + a * kTwoOverPiLo;
  const double q = rint(hi);
  const double f = (hi - q) + lo; // hi - q is exact
  const double x = fma(f, kPiOver2Hi, f * kPiOver2Lo);
  const double z = x * x, w = z * z;
  // __sin(x, 0, 0)
  const double sr = 8.33333333332248946124e-03 + z * (-1.98412698298579493134e-04 +
                                                      z * 2.75573137070700676789e-06) +
                    z * w * (-2.50507602534068634195e-08 + z * 1.58969099521155010221e-10);
  const double s = x + z * x * (-1.66666666666666324348e-01 + z * sr);
  // __cos(x, 0)
  const double cr = z * (4.16666666666666019037e-02 +
                         z * (-1.38888888888741095749e-03 + z * 2.48015872894767294178e-05)) +
                    w * w *
                        (-2.75573143513906633035e-07 +
                         z * (2.08757232129817482790e-09 + z * -1.13596475577881948265e-11));
  const double hz = 0.5 * z, oneMinusHz = 1.0 - hz;
  const double c = oneMinusHz + (((1.0 - oneMinusHz) - hz) + z * cr);
  // q mod 4 in floating point: no conversion that a NaN or a huge q would
  // make undefined (a NaN angle gives NaN from the polynomials anyway).
  const double quadrant = q - 4.0 * floor(q * 0.25);
  if (quadrant == 0.0)
    sinOut = s, cosOut = c;
  else if (quadrant == 1.0)
    sinOut = c, cosOut = -s;
  else if (quadrant == 2.0)
    sinOut = -s, cosOut = -c;
  else
    sinOut = -c, cosOut = s;
}

} // namespace rowwise

/// out[b, h] = in[b, h] rotated by position pos[b]: invFreq holds the D/2
/// inverse frequencies (the generated code passes a device constant array).
template <int64_t Heads, int64_t D, bool kInterleaved, int kThreads>
R1_DEVICE inline void rope(const float *in, const int32_t *pos, const float *invFreq, float *out) {
  static_assert(D % 2 == 0, "rope needs an even head dimension");
  static_assert(Heads > 0 && Heads * D <= rowwise::kMaxRow, "row length");
  constexpr int kHalf = int(D / 2), kPairs = int(Heads) * kHalf;
  R1_SHARED float cosTable[kHalf];
  R1_SHARED float sinTable[kHalf];
  const float p = float(pos[blockIdx.x]);
  for (int i = int(threadIdx.x); i < kHalf; i += kThreads) {
    double s, c;
    rowwise::sinCos(rowwise::mulRn(p, __ldg(invFreq + i)), s, c);
    cosTable[i] = float(c);
    sinTable[i] = float(s);
  }
  __syncthreads();
  const int64_t base = int64_t(blockIdx.x) * (Heads * D);
  const float *x = in + base;
  float *y = out + base;
  // One pair per thread and step; each thread reads its pair before writing
  // it, so in may equal out.
  for (int j = int(threadIdx.x); j < kPairs; j += kThreads) {
    const int h = j / kHalf, i = j % kHalf;
    const float c = cosTable[i], s = sinTable[i];
    if constexpr (kInterleaved) {
      const int k = h * int(D) + 2 * i;
      const float a = x[k], b = x[k + 1];
      y[k] = rowwise::fmaRn(a, c, rowwise::mulRn(b, -s));
      y[k + 1] = rowwise::fmaRn(b, c, rowwise::mulRn(a, s));
    } else {
      const int k = h * int(D) + i;
      const float a = x[k], b = x[k + kHalf];
      y[k] = rowwise::fmaRn(-b, s, rowwise::mulRn(a, c));
      y[k + kHalf] = rowwise::fmaRn(a, s, rowwise::mulRn(b, c));
    }
  }
}

} // namespace r1ck

#endif // R1CK_ROPE_CUH
