//===- PlanMemory.cpp - r1-plan-memory: one arena for every buffer ---------===//

#include "codegen/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include "llvm/ADT/DenseMap.h"

#include <algorithm>
#include <map>

#define DEBUG_TYPE "r1-plan-memory"

namespace r1 {
#define GEN_PASS_DEF_R1PLANMEMORY
#include "codegen/Passes.h.inc"
} // namespace r1

using namespace mlir;

namespace {

constexpr int64_t kAlignment = 64;

int64_t alignUp(int64_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

/// Bytes of `type` with its dynamic (row) dimension at `maxRows`.
int64_t bufferBytes(MemRefType type, int64_t maxRows) {
  int64_t n = type.getElementTypeBitWidth() / 8;
  for (int64_t d : type.getShape())
    n *= ShapedType::isDynamic(d) ? maxRows : d;
  return alignUp(n);
}

struct Interval {
  r1k::BufferOp buffer;
  int64_t first, last, bytes, offset = -1;
};

struct PlanMemoryPass : public r1::impl::R1PlanMemoryBase<PlanMemoryPass> {
  using Base::Base;

  void runOnOperation() override {
    auto step = getOperation().lookupSymbol<func::FuncOp>("step");
    if (!step) {
      getOperation().emitOpError("has no func.func @step (run r1-lower-to-kernels first)");
      return signalPassFailure();
    }
    if (maxRows < 1) {
      step.emitOpError("max-rows must be at least 1");
      return signalPassFailure();
    }
    // 1. Live intervals in program order. A view or logits_rows is its
    //    source's memory: uses of it are uses of the source buffer.
    DenseMap<Value, r1k::BufferOp> root;
    std::vector<Interval> intervals;
    DenseMap<Operation *, size_t> index;
    int64_t position = 0;
    for (Operation &op : step.getBody().front()) {
      ++position;
      if (auto buffer = dyn_cast<r1k::BufferOp>(op)) {
        root[buffer] = buffer;
        index[buffer] = intervals.size();
        intervals.push_back(
            {buffer, position, position, bufferBytes(cast<MemRefType>(buffer.getType()), maxRows)});
        continue;
      }
      if (isa<r1k::ViewOp, r1k::LogitsRowsOp>(op)) {
        if (r1k::BufferOp source = root.lookup(op.getOperand(0)))
          root[op.getResult(0)] = source;
        continue;
      }
      for (Value operand : op.getOperands())
        if (r1k::BufferOp source = root.lookup(operand))
          intervals[index[source]].last = position;
    }

    // 2. First fit by start position: a buffer reuses bytes whose buffer's
    //    last use came strictly before this buffer's first write. A launch
    //    may read and write at the same position, so intervals that end where
    //    another starts still conflict.
    std::vector<Interval *> active;
    int64_t arenaBytes = 0;
    for (Interval &current : intervals) {
      llvm::erase_if(active, [&](Interval *a) { return a->last < current.first; });
      std::sort(active.begin(), active.end(),
                [](Interval *a, Interval *b) { return a->offset < b->offset; });
      int64_t offset = 0;
      for (Interval *a : active) {
        if (a->offset - offset >= current.bytes)
          break;
        offset = std::max(offset, a->offset + a->bytes);
      }
      current.offset = offset;
      arenaBytes = std::max(arenaBytes, offset + current.bytes);
      active.push_back(&current);
    }

    // 3. Record offsets and the step's memory.
    OpBuilder b(&getContext());
    for (Interval &interval : intervals)
      interval.buffer.setOffsetAttr(b.getI64IntegerAttr(interval.offset));
    int64_t kvFloats = 0;
    if (auto attr = step->getAttrOfType<IntegerAttr>("r1k.kv_floats_per_token"))
      kvFloats = attr.getInt();
    step->setAttr("r1k.max_rows", b.getI64IntegerAttr(maxRows));
    step->setAttr("r1k.arena_bytes", b.getI64IntegerAttr(arenaBytes));
    step->setAttr("r1k.kv_bytes_per_token", b.getI64IntegerAttr(kvFloats * 4));
  }
};

} // namespace
