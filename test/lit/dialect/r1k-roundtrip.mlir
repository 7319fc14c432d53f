// RUN: r1c-opt %s | r1c-opt | FileCheck %s

// CHECK-LABEL: module
// CHECK: r1k.packed_weight @"qk:bf16" : !r1.weight<96x64xbf16> = [@q, @k]
// CHECK: r1k.kernel @lin "linear" {bias = false, k = 64 : i64, n = array<i64: 64, 32>, norm = false, wtype = "bf16"}
// CHECK: %[[B:.+]] = r1k.buffer offset 128 : memref<?x64xf32>
// CHECK: %[[V:.+]] = r1k.view %[[B]] : memref<?x64xf32> -> memref<?x4x16xf32>
// CHECK: %[[R:.+]] = r1k.logits_rows %[[B]] : memref<?x64xf32>
// CHECK: r1k.launch @lin(%[[R]]) -> (%[[B]], %{{.+}}) weights [@"qk:bf16"]
module {
  r1.weight @q : !r1.weight<64x64xbf16> = "q"
  r1.weight @k : !r1.weight<32x64xbf16> = "k"
  r1k.packed_weight @"qk:bf16" : !r1.weight<96x64xbf16> = [@q, @k]
  r1k.kernel @lin "linear" {k = 64 : i64, n = array<i64: 64, 32>, wtype = "bf16", bias = false, norm = false}
  func.func @step(%t: memref<?xi32>, %p: memref<?xi32>, %l: memref<?x32xf32>) {
    %b = r1k.buffer offset 128 : memref<?x64xf32>
    %v = r1k.view %b : memref<?x64xf32> -> memref<?x4x16xf32>
    %r = r1k.logits_rows %b : memref<?x64xf32>
    r1k.launch @lin(%r) -> (%b, %l) weights [@"qk:bf16"] : (memref<?x64xf32>) -> (memref<?x64xf32>, memref<?x32xf32>)
    return
  }
}
