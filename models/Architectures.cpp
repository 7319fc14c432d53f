//===- Architectures.cpp - Dispatch from model_type to a builder ----------===//

#include "models/Architectures.h"

namespace r1 {

void buildModel(ModelBuilder &b) {
  switch (b.config().arch) {
  case Architecture::Qwen2:
  case Architecture::Llama:
    return buildDenseDecoder(b);
  case Architecture::DeepSeekV2:
  case Architecture::DeepSeekV3:
    return buildDeepSeek(b);
  }
  llvm_unreachable("unknown architecture");
}

} // namespace r1
