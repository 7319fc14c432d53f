// RUN: r1c-opt %s --r1-plan-memory | FileCheck %s
// RUN: r1c-opt %s --r1-plan-memory=max-rows=1 | FileCheck %s --check-prefix=ONE

// Buffers are placed by liveness: %a is dead once %b is computed from it, so
// %c reuses %a's bytes; %b stays live until the last launch. Sizes are rows
// x row bytes, 64-byte aligned: 256 x 64 x 4 = 65536.

// CHECK-LABEL: func.func @step
// CHECK-SAME:    r1k.arena_bytes = 131072 : i64
// CHECK-SAME:    r1k.kv_bytes_per_token = 256 : i64
// CHECK-SAME:    r1k.max_rows = 256 : i64
// CHECK:         %[[A:.+]] = r1k.buffer offset 0 : memref<?x64xf32>
// CHECK:         %[[B:.+]] = r1k.buffer offset 65536 : memref<?x64xf32>
// CHECK:         %[[C:.+]] = r1k.buffer offset 0 : memref<?x64xf32>

// With one row per step: 64 x 4 = 256 bytes a buffer.
// ONE-LABEL:     func.func @step
// ONE-SAME:      r1k.arena_bytes = 512 : i64
// ONE:           r1k.buffer offset 0
// ONE:           r1k.buffer offset 256
// ONE:           r1k.buffer offset 0
module {
  r1k.kernel @silu "silu" {hidden = 64 : i64}
  r1k.kernel @add "add" {hidden = 64 : i64}
  func.func @step(%tokens: memref<?xi32>, %pos: memref<?xi32>, %logits: memref<?x64xf32>) attributes {r1k.kv_floats_per_token = 64 : i64} {
    %a = r1k.buffer : memref<?x64xf32>
    r1k.launch @silu(%logits) -> (%a) weights [] : (memref<?x64xf32>) -> (memref<?x64xf32>)
    %b = r1k.buffer : memref<?x64xf32>
    r1k.launch @silu(%a) -> (%b) weights [] : (memref<?x64xf32>) -> (memref<?x64xf32>)
    %c = r1k.buffer : memref<?x64xf32>
    r1k.launch @silu(%b) -> (%c) weights [] : (memref<?x64xf32>) -> (memref<?x64xf32>)
    %cv = r1k.view %c : memref<?x64xf32> -> memref<?x4x16xf32>
    %cf = r1k.view %cv : memref<?x4x16xf32> -> memref<?x64xf32>
    r1k.launch @add(%cf, %b) -> (%logits) weights [] : (memref<?x64xf32>, memref<?x64xf32>) -> (memref<?x64xf32>)
    return
  }
}
