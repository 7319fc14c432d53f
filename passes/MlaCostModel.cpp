//===- MlaCostModel.cpp - Which MLA form is cheaper in a phase ------------===//

#include "passes/MlaCostModel.h"

#include <algorithm>

namespace r1 {

MlaFormCost estimateMlaCost(const MlaShape &s, const MlaMachine &m, int64_t tokens,
                            int64_t keys) {
  const double t = double(tokens), l = double(keys), h = double(s.heads), r = double(s.rank);
  // Query i of the step attends to keys - tokens + i + 1 positions.
  const double meanKeys = l - (t - 1.0) / 2.0;
  const double weightBytes = h * double(s.nope + s.value) * r * s.weightBytesPerElement;
  const double cacheRow = (r + double(s.rope)) * 4.0;
  auto time = [&](double flops, double bytes) {
    return std::max(flops / m.peakFlops, bytes / m.bytesPerSecond);
  };

  // Materialized: expand keys and values of all L positions (a GEMM over
  // the cached latents), then per-head attention over [nope + rope | v].
  double expanded = l * h * double(s.nope + s.rope + s.value);
  double matFlops = 2.0 * l * r * h * double(s.nope + s.value) +
                    2.0 * t * meanKeys * h * double(s.nope + s.rope + s.value);
  double matBytes = weightBytes + l * cacheRow + 2.0 * expanded * 4.0;

  // Absorbed: per token and head, q_lat = W_UK^T q_nope, scores and the
  // value sum in the latent space, then W_UV; the weights are read per token.
  double absFlops =
      2.0 * t * h * (double(s.nope) * r + meanKeys * (2.0 * r + double(s.rope)) + r * double(s.value));
  double absBytes = t * weightBytes + t * meanKeys * cacheRow;

  return {time(matFlops, matBytes), time(absFlops, absBytes)};
}

} // namespace r1
