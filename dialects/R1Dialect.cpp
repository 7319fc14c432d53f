//===- R1Dialect.cpp - The r1 dialect ------------------------------------===//

#include "dialects/R1Ops.h"

using namespace mlir;
using namespace r1;

#include "dialects/R1Dialect.cpp.inc"

void R1Dialect::initialize() {
  registerAttributes();
  registerTypes();
  addOperations<
#define GET_OP_LIST
#include "dialects/R1Ops.cpp.inc"
      >();
}
