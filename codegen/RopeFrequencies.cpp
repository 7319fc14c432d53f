//===- RopeFrequencies.cpp - Rotary inverse frequencies -------------------===//

#include "codegen/RopeFrequencies.h"

#include "dialects/R1Attributes.h"

#include <algorithm>
#include <cmath>

namespace r1 {

mlir::FailureOr<llvm::SmallVector<float>> ropeInverseFrequencies(int64_t dim, double theta,
                                                                 mlir::Attribute scaling) {
  // 1. The base frequencies, in float32 as `1.0 / (base ** (arange(0, dim, 2).float() / dim))`.
  llvm::SmallVector<float> invFreq;
  for (int64_t i = 0; i < dim; i += 2) {
    float exponent = float(i) / float(dim);
    invFreq.push_back(1.0f / std::pow(float(theta), exponent));
  }
  if (!scaling)
    return invFreq;

  // 2. Llama 3: keep high frequencies, divide low ones by `factor`, and
  //    interpolate between the two wavelength thresholds (transformers'
  //    _compute_llama3_parameters).
  if (auto llama3 = llvm::dyn_cast<Llama3ScalingAttr>(scaling)) {
    float factor = float(llama3.getFactor().convertToDouble());
    float low = float(llama3.getLowFreqFactor().convertToDouble());
    float high = float(llama3.getHighFreqFactor().convertToDouble());
    float oldContext = float(llama3.getOriginalMaxPositions());
    float lowFreqWavelen = oldContext / low, highFreqWavelen = oldContext / high;
    for (float &f : invFreq) {
      float wavelen = float(2.0 * M_PI) / f;
      float scaled = wavelen > lowFreqWavelen ? f / factor : f;
      float smooth = (oldContext / wavelen - low) / (high - low);
      float smoothed = (1.0f - smooth) * scaled / factor + smooth * scaled;
      bool medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
      f = medium ? smoothed : scaled;
    }
    return invFreq;
  }

  // 3. YaRN, as DeepSeek-V3's inference/model.py precompute_freqs_cis: the
  //    correction range in double (Python floats), the ramp and the blend in
  //    float32. The cos/sin factor mscale/mscale_all_dim is not a frequency:
  //    callers handle it (1.0 for every released model).
  if (auto yarn = llvm::dyn_cast<YarnScalingAttr>(scaling)) {
    double base = theta, factor = yarn.getFactor().convertToDouble();
    double original = double(yarn.getOriginalMaxPositions());
    auto correctionDim = [&](double rotations) {
      return double(dim) * std::log(original / (rotations * 2 * M_PI)) / (2 * std::log(base));
    };
    double low = std::max(std::floor(correctionDim(yarn.getBetaFast().convertToDouble())), 0.0);
    double high =
        std::min(std::ceil(correctionDim(yarn.getBetaSlow().convertToDouble())), double(dim - 1));
    if (low == high)
      high += 0.001;
    for (size_t i = 0; i < invFreq.size(); ++i) {
      float ramp = (float(i) - float(low)) / (float(high) - float(low));
      ramp = std::min(1.0f, std::max(0.0f, ramp));
      float smooth = 1.0f - ramp;
      invFreq[i] = invFreq[i] / float(factor) * (1.0f - smooth) + invFreq[i] * smooth;
    }
    return invFreq;
  }
  return mlir::failure();
}

} // namespace r1
