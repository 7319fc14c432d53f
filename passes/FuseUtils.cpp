//===- FuseUtils.cpp - Helpers shared by the r1-fuse-* passes --------------===//
//
// Weight reads (`r1.weight.get`) are Pure and cost nothing at run time, so a
// fusion that moves an op above the read of one of its weights repeats the
// read instead of moving it; the old read dies and the pattern driver erases
// it.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace {

/// True when `value` is defined before `op` runs: an argument of a block
/// that contains `op`, or the result of an op that comes before `op` (or
/// before the ancestor of `op`) in that op's block. Conservative across the
/// blocks of a CFG region: it answers false there.
bool isAvailableBefore(Value value, Operation *op) {
  Block *block = value.getParentBlock();
  Operation *ancestor = block->findAncestorOpInBlock(*op);
  if (!ancestor)
    return false;
  if (isa<BlockArgument>(value))
    return true;
  Operation *def = value.getDefiningOp();
  return def != ancestor && def->isBeforeInBlock(ancestor);
}

} // namespace

bool r1::canMaterializeWeightBefore(Value weight, Operation *op) {
  return isAvailableBefore(weight, op) || weight.getDefiningOp<WeightGetOp>();
}

Value r1::materializeWeightBefore(Value weight, Operation *op, RewriterBase &rewriter) {
  if (isAvailableBefore(weight, op))
    return weight;
  auto read = weight.getDefiningOp<WeightGetOp>();
  assert(read && "weight can be neither used nor re-read before op");
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  return WeightGetOp::create(rewriter, read.getLoc(), read.getType(), read.getNameAttr());
}
