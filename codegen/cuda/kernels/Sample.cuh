//===- Sample.cuh - CUDA kernel: drawing the next token on the device -----===//
//
// runtime/Sampler.cpp's sample() with the penalties off (steps 3 to 8 of
// runtime/Sampler.h) on one row of logits, so that the runtime reads back a
// token id instead of the row. Given the parameters and random number of
// Sampler::drawForDevice(), it draws the token that sample() draws with the
// same seed. They can differ only where the rounding of sums decides: the
// kernel's sums are exact in fixed point (each weight truncated to a multiple
// of 2^-45), the host's are in double, so a boundary between two tokens (of
// the draw or of top-p) moves by at most V x 2^-45 (4e-9 for R1's vocabulary)
// against a total of at least 1.
//
// How (no sorting; each step sweeps the row, or the gathered candidates):
//   1. the argmax, whose value is also the max the weights are taken from;
//      greedy (invTemperature 0), or a row without a finite maximum, stops
//      there, as sample() does;
//   2. top-k: an exact radix select of the k-th largest logit on bits that
//      order like the floats (NaN as -inf, -0 as +0), three passes of 11, 11
//      and 10 bits with a histogram of counts each; of the logits equal to the
//      k-th, the ones with the lowest ids are kept (counted in id order). For
//      k <= kGatherCapacity the k candidates are gathered into shared memory
//      in id order, and the next steps run on them instead of on the row;
//   3. weights w = exp((logit - max) x invTemperature), with Sampler.cpp's
//      own exp, operation for operation, so bit for bit; they are summed in
//      64-bit fixed point (w x 2^45, truncated): integer sums are exact, so
//      no sum depends on the order in which threads add;
//   4. top-p: a radix select on the weights' bits (positive floats order like
//      their bits; three passes of 10 bits, as Sampler::keepNucleus), each
//      bucket holding its mass: the nucleus is {w > t} plus the first tokens
//      (by id) of weight t, the shortest prefix in the order (weight high
//      first, id) whose mass reaches p x the total;
//   5. min-p: w >= minP (the largest weight is 1);
//   6. the draw: each warp owns a contiguous range of the tokens and sums the
//      kept mass in it; the warp whose range holds u x the kept mass walks it
//      in id order, 32 tokens at a time, to the first token whose running
//      mass exceeds it, as sample() walks its candidates.
//
// Launch: grid.x = rows, kThreads threads (whole warps, at most 1024), no
// dynamic shared memory; block b samples row b with params[b] and writes
// token[b]. Static shared memory: 31,028 bytes at 1024 threads, 62 to 64
// registers, no spills (ptxas of CUDA 13.0, cuda-sample-kernel.test).
//
//===----------------------------------------------------------------------===//
#ifndef R1CK_SAMPLE_CUH
#define R1CK_SAMPLE_CUH

#include "Embed.cuh"
#include "R1Cuda.h"

#include <float.h>
#include <math.h>
#include <stdint.h>

namespace r1ck {

/// One row's sampling: the layout of runtime::DeviceDraw (runtime/Sampler.h),
/// which the runtime copies to the device as it is.
struct SampleParams {
  float invTemperature; // 0: greedy
  int32_t topK;         // 0: off
  float topP;           // 1: off
  float minP;           // 0: off
  double u;             // the draw, in [0, 1)
};
static_assert(sizeof(SampleParams) == 24, "the layout of runtime::DeviceDraw");

namespace sampling {

using Mass = unsigned long long;

/// Fixed point of the sums: w in [0, 1] as floor(w x 2^45), so that a row of
/// up to 2^18 tokens sums below 2^63. A token's share is lost below 2^-45
/// (the host keeps it in double): a difference in the draw's probabilities
/// of at most 2^18 x 2^-45 = 2^-27 of the largest weight.
constexpr int kFixedBits = 45;
constexpr int64_t kMaxVocab = int64_t(1) << 18;
/// exp(x) < 2^-46 below this: such weights are 0 in fixed point, so they are
/// not computed at all (most of a real row's tokens).
constexpr float kMinExponent = -(kFixedBits + 1) * 0.693147180559945f;
/// Top-k with at most this many candidates gathers them into shared memory.
constexpr int kGatherCapacity = 2048;

/// e^x for x <= 0: runtime/Sampler.cpp's expNonPositive, the same IEEE
/// operations in the same order, each rounded on its own (__f*_rn, which nvcc
/// never contracts into an FMA), so that the weights are the host's bit for
/// bit. A copy: SampleKernelTest's WeightsAreTheHostsBitForBit compares them
/// (and the two agreed on every float in [-80, 0] when this was written).
R1_DEVICE inline float expNonPositive(float x) {
  const bool underflow = !(x >= -80.0f);
  const float xc = underflow ? -80.0f : x;
  constexpr float kRound = 12582912.0f; // 1.5 x 2^23
  const float shifted = __fadd_rn(__fmul_rn(xc, 1.44269504088896341f), kRound);
  const float n = __fsub_rn(shifted, kRound);
  float r = __fsub_rn(xc, __fmul_rn(n, 0.693359375f));
  r = __fsub_rn(r, __fmul_rn(n, -2.12194440e-4f));
  float p = 1.9875691500e-4f;
  p = __fadd_rn(__fmul_rn(p, r), 1.3981999507e-3f);
  p = __fadd_rn(__fmul_rn(p, r), 8.3334519073e-3f);
  p = __fadd_rn(__fmul_rn(p, r), 4.1665795894e-2f);
  p = __fadd_rn(__fmul_rn(p, r), 1.6666665459e-1f);
  p = __fadd_rn(__fmul_rn(p, r), 5.0000001201e-1f);
  const float er = __fadd_rn(__fadd_rn(__fmul_rn(p, __fmul_rn(r, r)), r), 1.0f);
  const int exponent = __float_as_int(shifted) - __float_as_int(kRound);
  const float scale = __int_as_float((exponent + 127) << 23);
  return underflow ? 0.0f : __fmul_rn(er, scale);
}

R1_DEVICE inline bool isFinite(float v) { return fabsf(v) <= FLT_MAX; }

/// A weight in [0, 1] in fixed point: floor(weight x 2^45), exactly, from its
/// bits (integer operations: FP64 runs at 1/64 of the rate on sm_89).
R1_DEVICE inline Mass fixedOf(float weight) {
  const uint32_t bits = __float_as_uint(weight);
  const int exponent = int(bits >> 23); // biased; the sign bit is clear
  const Mass significand = (bits & 0x7fffffu) | 0x800000u;
  // weight = significand x 2^(exponent - 150), so x 2^45 shifts by exponent - 105.
  const int shift = exponent - (150 - kFixedBits);
  if (exponent == 0 || shift <= -24)
    return 0; // below 2^-45 (zero and subnormals included)
  return shift >= 0 ? significand << shift : significand >> -shift;
}

/// A token's weight from its logit: exp((logit - max) x invTemperature); 0
/// for NaN and -inf, and below kMinExponent.
struct Weigher {
  float max;
  float invTemperature;
  R1_DEVICE float operator()(float logit) const {
    const float x = __fmul_rn(__fsub_rn(logit, max), invTemperature);
    return x >= kMinExponent ? expNonPositive(x) : 0.0f;
  }
};

/// Bits that order as top-k orders logits: NaN as -inf (Sampler.cpp's
/// logitOf), -0 equal to +0.
R1_DEVICE inline uint32_t orderedKey(float logit) {
  float v = logit == logit ? logit : -INFINITY;
  if (v == 0.0f)
    v = 0.0f;
  const uint32_t u = __float_as_uint(v);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

//===----------------------------------------------------------------------===//
// Warp and block building blocks
//===----------------------------------------------------------------------===//

R1_DEVICE inline Mass warpInclusiveSum(Mass v) {
  const int lane = int(threadIdx.x) % 32;
  for (int d = 1; d < 32; d *= 2) {
    const Mass other = __shfl_up_sync(0xffffffffu, v, d);
    if (lane >= d)
      v += other;
  }
  return v;
}

R1_DEVICE inline Mass warpSum(Mass v) {
  for (int m = 16; m > 0; m /= 2)
    v += __shfl_xor_sync(0xffffffffu, v, m);
  return v;
}

/// The contiguous part [begin, end) of [0, n) that the calling warp owns in
/// the id-ordered steps: whole chunks of 32, the last warps' possibly empty.
template <int kThreads> struct WarpRange {
  int begin, end;
  R1_DEVICE explicit WarpRange(int n) {
    constexpr int kWarps = kThreads / 32;
    const int per = ((n + kWarps - 1) / kWarps + 31) / 32 * 32;
    const int warp = int(threadIdx.x) / 32;
    begin = per * warp < n ? per * warp : n;
    end = n - begin < per ? n : begin + per;
  }
};

/// The argmax of row[0, n) to every thread, as argmaxRow: the first largest
/// non-NaN value and its id; id -1 if all are NaN.
template <int kThreads>
R1_DEVICE inline void blockArgmax(const float *row, int n, float &value, int &id) {
  constexpr int kWarps = kThreads / 32;
  R1_SHARED float warpValue[kWarps];
  R1_SHARED int warpId[kWarps];
  float v = 0.0f;
  int best = -1;
  for (int i = int(threadIdx.x); i < n; i += kThreads) {
    const float x = row[i];
    if (x == x && (best < 0 || x > v))
      v = x, best = i;
  }
  rowwise::warpArgmax(v, best);
  if (threadIdx.x % 32 == 0)
    warpValue[threadIdx.x / 32] = v, warpId[threadIdx.x / 32] = best;
  __syncthreads();
  value = warpValue[0], id = warpId[0];
  for (int w = 1; w < kWarps; ++w)
    if (rowwise::beatsForArgmax(warpValue[w], warpId[w], value, id))
      value = warpValue[w], id = warpId[w];
  __syncthreads(); // before the arrays are written again
}

/// Where a radix select's running sum crosses its target in one level.
struct Crossing {
  int bucket;    // -1: the histogram's sum does not reach the target
  Mass above;    // the sum of the buckets above `bucket`, plus the `above` given
  Mass target;
  Mass inBucket; // the value of `bucket`
};

/// Over a histogram of `buckets` (a multiple of 32), complete in shared
/// memory: the highest bucket b at which `above` plus the sum of the buckets
/// >= b reaches targetOf(sum of all buckets). Warp 0 finds it (each lane sums
/// a slice, a warp scan finds the slice, its lane walks it); every thread
/// gets the result. A caller syncs the block again before the next call (to
/// refill the histogram), so that no thread still reads the last result.
template <typename Count, typename TargetOf>
R1_DEVICE inline Crossing findCrossing(const Count *hist, int buckets, Mass above,
                                       TargetOf targetOf) {
  R1_SHARED Crossing result;
  if (threadIdx.x < 32) {
    const int lane = int(threadIdx.x), per = buckets / 32;
    const int top = buckets - lane * per; // lane 0 has the highest slice
    Mass sum = 0;
    for (int b = top - per; b < top; ++b)
      sum += hist[b];
    const Mass inclusive = warpInclusiveSum(sum);
    const Mass target = targetOf(__shfl_sync(0xffffffffu, inclusive, 31));
    const unsigned reached = __ballot_sync(0xffffffffu, above + inclusive >= target);
    if (reached == 0 && lane == 0)
      result = {-1, above, target, 0};
    if (reached != 0 && lane == __ffs(int(reached)) - 1) {
      Mass running = above + inclusive - sum;
      for (int b = top - 1; b >= top - per; --b) {
        if (running + hist[b] >= target) {
          result = {b, running, target, hist[b]};
          break;
        }
        running += hist[b];
      }
    }
  }
  __syncthreads();
  return result;
}

/// In the id order of [0, n): the first index at which the running sum of
/// value(i) exceeds targetOf(the sum over all of [0, n)); -1 if it never
/// does. Each warp sums its WarpRange, then the warp whose range holds the
/// target walks it 32 at a time.
template <int kThreads, typename Value, typename TargetOf>
R1_DEVICE inline int findFirstAbove(int n, Value value, TargetOf targetOf) {
  constexpr int kWarps = kThreads / 32;
  R1_SHARED Mass warpTotal[kWarps];
  R1_SHARED int found;
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  const WarpRange<kThreads> range(n);
  Mass sum = 0;
  for (int i = range.begin + lane; i < range.end; i += 32)
    sum += value(i);
  sum = warpSum(sum);
  if (lane == 0)
    warpTotal[warp] = sum;
  if (threadIdx.x == 0)
    found = -1;
  __syncthreads();
  Mass before = 0, total = 0;
  for (int w = 0; w < kWarps; ++w) {
    before += w < warp ? warpTotal[w] : 0;
    total += warpTotal[w];
  }
  const Mass target = targetOf(total);
  if (before <= target && target < before + sum) {
    Mass running = before;
    for (int base = range.begin; base < range.end; base += 32) {
      const int i = base + lane;
      const Mass inclusive = warpInclusiveSum(i < range.end ? value(i) : 0);
      const unsigned over = __ballot_sync(0xffffffffu, running + inclusive > target);
      if (over != 0) {
        if (lane == __ffs(int(over)) - 1)
          found = i;
        break;
      }
      running += __shfl_sync(0xffffffffu, inclusive, 31);
    }
  }
  __syncthreads();
  const int result = found;
  __syncthreads(); // before the next call writes `found`
  return result;
}

//===----------------------------------------------------------------------===//
// Where the logits come from: the row, or the candidates top-k gathered
//===----------------------------------------------------------------------===//

/// Kept by top-k: key > `key`, or key == `key` and id <= `lastTie`.
struct TopKCut {
  uint32_t key;
  int lastTie;
  R1_DEVICE bool keeps(uint32_t k, int id) const { return k > key || (k == key && id <= lastTie); }
};

/// The whole row, in id order.
struct RowLogits {
  const float *row;
  int n;
  R1_DEVICE float logit(int i) const { return row[i]; }
  R1_DEVICE int id(int i) const { return i; }
};

/// The row after a top-k cut: the tokens it drops weigh 0 (as -inf).
struct TopKRowLogits {
  const float *row;
  int n;
  TopKCut cut;
  R1_DEVICE float logit(int i) const {
    const float l = row[i];
    return cut.keeps(orderedKey(l), i) ? l : -INFINITY;
  }
  R1_DEVICE int id(int i) const { return i; }
};

/// Candidates gathered into shared memory, in id order.
struct GatheredLogits {
  const float *logits;
  const int32_t *ids;
  int n;
  R1_DEVICE float logit(int i) const { return logits[i]; }
  R1_DEVICE int id(int i) const { return ids[i]; }
};

/// The block's shared scratch: the histograms of one radix select at a time,
/// and the gathered candidates.
struct Scratch {
  union {
    uint32_t keyCount[2048]; // top-k: 11-bit buckets of keys
    struct {
      Mass mass[1024];
      uint32_t count[1024];
    } weight; // top-p: 10-bit buckets of weights
  } hist;
  float candidateLogit[kGatherCapacity];
  int32_t candidateId[kGatherCapacity];
};

//===----------------------------------------------------------------------===//
// The steps
//===----------------------------------------------------------------------===//

/// Top-k on the row's logits: the cut that keeps exactly k of them (the k
/// largest, ties to the lowest ids). 0 < k < n.
template <int kThreads>
R1_DEVICE inline TopKCut selectTopK(const float *row, int n, int k, uint32_t *hist) {
  uint32_t prefix = 0; // the key bits decided so far
  Crossing crossing = {0, 0, 0, 0};
  for (int level = 0; level < 3; ++level) {
    // Bits 31..21, 20..10, 9..0.
    const int shift = level == 0 ? 21 : level == 1 ? 10 : 0;
    const int bits = level == 2 ? 10 : 11, buckets = 1 << bits;
    const uint32_t decided = level == 0 ? 0u : ~0u << (shift + bits);
    for (int b = int(threadIdx.x); b < buckets; b += kThreads)
      hist[b] = 0;
    __syncthreads();
    for (int i = int(threadIdx.x); i < n; i += kThreads) {
      const uint32_t key = orderedKey(row[i]);
      if ((key & decided) == prefix)
        atomicAdd(&hist[(key >> shift) & uint32_t(buckets - 1)], 1u);
    }
    __syncthreads();
    crossing = findCrossing(hist, buckets, crossing.above, [&](Mass) { return Mass(k); });
    prefix |= uint32_t(crossing.bucket) << shift; // found: the k-th largest is in it
  }
  // Ties at the cut: the first `wanted` of them by id. (Not read from
  // `hist`: the next step may already be clearing it.)
  const Mass ties = crossing.inBucket, wanted = Mass(k) - crossing.above;
  if (wanted >= ties)
    return {prefix, n};
  const int last = findFirstAbove<kThreads>(
      n, [&](int i) { return Mass(orderedKey(row[i]) == prefix); },
      [&](Mass) { return wanted - 1; });
  return {prefix, last};
}

/// Copies the logits and ids of the row's tokens that `cut` keeps (at most
/// kGatherCapacity) into shared memory in id order: each warp counts its
/// range's, then writes them after those of the warps before it.
template <int kThreads>
R1_DEVICE inline int gatherTopK(const float *row, int n, TopKCut cut, Scratch &scratch) {
  constexpr int kWarps = kThreads / 32;
  R1_SHARED int warpCount[kWarps];
  const int lane = int(threadIdx.x) % 32, warp = int(threadIdx.x) / 32;
  const WarpRange<kThreads> range(n);
  const unsigned lanesBelow = (1u << lane) - 1;
  auto keeps = [&](int i) { return i < range.end && cut.keeps(orderedKey(row[i]), i); };
  int count = 0;
  for (int base = range.begin; base < range.end; base += 32)
    count += __popc(__ballot_sync(0xffffffffu, keeps(base + lane)));
  if (lane == 0)
    warpCount[warp] = count;
  __syncthreads();
  int next = 0, total = 0;
  for (int w = 0; w < kWarps; ++w) {
    next += w < warp ? warpCount[w] : 0;
    total += warpCount[w];
  }
  for (int base = range.begin; base < range.end; base += 32) {
    const int i = base + lane;
    const bool kept = keeps(i);
    const unsigned ballot = __ballot_sync(0xffffffffu, kept);
    if (kept) {
      const int slot = next + __popc(ballot & lanesBelow);
      scratch.candidateLogit[slot] = row[i];
      scratch.candidateId[slot] = i;
    }
    next += __popc(ballot);
  }
  __syncthreads();
  return total;
}

/// Kept by top-p: weight bits > `bits`, or == `bits` and id <= `lastTie`.
struct NucleusCut {
  uint32_t bits;
  int lastTie;
  R1_DEVICE bool keeps(uint32_t weightBits, int id) const {
    return weightBits > bits || (weightBits == bits && id <= lastTie);
  }
};
constexpr int kEveryId = 0x7fffffff;

/// Top-p over the source's tokens: the cut that keeps the shortest prefix,
/// in the order (weight high first, id), whose mass reaches topP x the
/// total. Tokens of fixed-point weight 0 take no part: they add nothing, so
/// the shortest prefix never ends on one.
template <int kThreads, typename Source>
R1_DEVICE inline NucleusCut selectNucleus(const Source &source, const Weigher &weigh, float topP,
                                          Scratch &scratch) {
  Mass *mass = scratch.hist.weight.mass;
  uint32_t *count = scratch.hist.weight.count;
  constexpr int kBuckets = 1024;
  uint32_t prefix = 0; // weights <= 1 leave bits 31 and 30 clear
  Crossing crossing = {0, 0, 0, 0};
  for (int shift = 20; shift >= 0; shift -= 10) {
    for (int b = int(threadIdx.x); b < kBuckets; b += kThreads)
      mass[b] = 0, count[b] = 0;
    __syncthreads();
    for (int i = int(threadIdx.x); i < source.n; i += kThreads) {
      const float w = weigh(source.logit(i));
      const uint32_t bits = __float_as_uint(w);
      const Mass f = fixedOf(w);
      if (f != 0 && (bits >> (shift + 10)) == (prefix >> (shift + 10))) {
        atomicAdd(&mass[(bits >> shift) & (kBuckets - 1)], f);
        atomicAdd(&count[(bits >> shift) & (kBuckets - 1)], 1u);
      }
    }
    __syncthreads();
    // The first level's histogram holds every token, so its sum is the
    // total; the target is p x total rounded up (the sums are integers).
    const Mass target = crossing.target;
    crossing = findCrossing(mass, kBuckets, crossing.above, [&](Mass total) {
      const double nucleus = ceil(double(topP) * double(total));
      return shift == 20 ? (nucleus >= 1.0 ? Mass(nucleus) : Mass(1)) : target;
    });
    if (crossing.bucket < 0)
      return {0, kEveryId}; // rounding: all of them
    prefix |= uint32_t(crossing.bucket) << shift;
  }
  // The tokens of weight `prefix`: as many as reach the target, by id.
  const Mass ties = count[crossing.bucket], each = fixedOf(__uint_as_float(prefix));
  const Mass wanted = (crossing.target - crossing.above + each - 1) / each;
  if (wanted >= ties)
    return {prefix, kEveryId};
  const int last = findFirstAbove<kThreads>(
      source.n, [&](int i) { return Mass(__float_as_uint(weigh(source.logit(i))) == prefix); },
      [&](Mass) { return wanted - 1; });
  return {prefix, source.id(last)};
}

/// Min-p and the draw: the first token in id order whose running kept mass
/// exceeds u x the kept mass; when that rounds to the whole mass, the last
/// kept token of positive fixed-point weight. -1 if nothing weighs anything.
template <int kThreads, typename Source>
R1_DEVICE inline int drawToken(const Source &source, const Weigher &weigh, NucleusCut nucleus,
                               float minP, double u) {
  auto keptMass = [&](int i) {
    const float w = weigh(source.logit(i));
    return nucleus.keeps(__float_as_uint(w), source.id(i)) && w >= minP ? fixedOf(w) : Mass(0);
  };
  auto targetOf = [&](Mass total) {
    const double t = u * double(total);
    if (!(t < double(total)))
      return total - 1;
    const Mass target = t > 0.0 ? Mass(t) : Mass(0);
    return target < total ? target : total - 1;
  };
  const int i = findFirstAbove<kThreads>(source.n, keptMass, targetOf);
  return i < 0 ? -1 : source.id(i);
}

/// Steps 4 to 6 on the tokens of `source`.
template <int kThreads, typename Source>
R1_DEVICE inline int truncateAndDraw(const Source &source, const Weigher &weigh,
                                     const SampleParams &params, Scratch &scratch) {
  const NucleusCut nucleus = params.topP < 1.0f
                                 ? selectNucleus<kThreads>(source, weigh, params.topP, scratch)
                                 : NucleusCut{0, kEveryId};
  const float minP = params.minP > 0.0f ? params.minP : 0.0f;
  return drawToken<kThreads>(source, weigh, nucleus, minP, params.u);
}

} // namespace sampling

/// token[b] = the token drawn from logits[b, 0 .. V) with params[b]: the
/// token runtime::Sampler::sample() draws (penalties off) for the same
/// parameters and random number (Sampler::drawForDevice()). See the top of
/// this file.
template <int64_t V, int kThreads>
R1_DEVICE inline void sampleRow(const float *logits, const SampleParams *params, int32_t *token) {
  using namespace sampling;
  static_assert(kThreads % 32 == 0 && kThreads <= 1024, "whole warps, at most 1024 threads");
  static_assert(V > 0 && V <= kMaxVocab, "row length: the fixed-point sums hold 2^18 tokens");
  R1_SHARED Scratch scratch;
  const float *row = logits + int64_t(blockIdx.x) * V;
  const SampleParams p = params[blockIdx.x];
  constexpr int n = int(V);

  float max;
  int argmax;
  blockArgmax<kThreads>(row, n, max, argmax);
  const bool greedy = !(p.invTemperature > 0.0f && isFinite(p.invTemperature));
  // Also sample()'s answer to a row without a finite maximum: the argmax.
  if (greedy || argmax < 0 || !isFinite(max)) {
    if (threadIdx.x == 0)
      token[blockIdx.x] = argmax < 0 ? 0 : argmax;
    return;
  }

  const Weigher weigh{max, p.invTemperature};
  int drawn;
  if (p.topK > 0 && p.topK < n) {
    const TopKCut cut = selectTopK<kThreads>(row, n, p.topK, scratch.hist.keyCount);
    if (p.topK <= kGatherCapacity) {
      const int gathered = gatherTopK<kThreads>(row, n, cut, scratch);
      drawn = truncateAndDraw<kThreads>(
          GatheredLogits{scratch.candidateLogit, scratch.candidateId, gathered}, weigh, p, scratch);
    } else {
      drawn = truncateAndDraw<kThreads>(TopKRowLogits{row, n, cut}, weigh, p, scratch);
    }
  } else {
    drawn = truncateAndDraw<kThreads>(RowLogits{row, n}, weigh, p, scratch);
  }
  if (threadIdx.x == 0)
    token[blockIdx.x] = drawn < 0 ? argmax : drawn;
}

} // namespace r1ck

#endif // R1CK_SAMPLE_CUH
