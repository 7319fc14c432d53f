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

// MLA's W_UK^T packed from kv_b (FP8 kept, with its transposed scales), the
// mla kernel and launch, and W8A8's quantize_f8.
// CHECK-LABEL: r1.weight @kv_b
// CHECK: r1k.packed_weight @w_uk_t : !r1.weight<2048x128xf8E4M3FN> = [@kv_b] {head_rows = array<i64: 256, 0, 128>, transpose}
// CHECK: r1k.packed_weight @w_uk_t_scales : !r1.weight<2048x1xf32> = [@kv_b] {head_rows = array<i64: 256, 0, 128>, row_scales, transpose}
// CHECK: r1k.kernel @mla "mla"
// CHECK: r1k.launch @mla(%arg0, %arg1, %arg2, %arg3) -> (%arg4) weights [@kvb, @kvb_scales, @w_uk_t, @w_uk_t_scales] {kv_offset = 576 : i64}
// CHECK: r1k.launch @q(%arg1) -> (%arg5)
r1.weight @kv_b : !r1.weight<1024x512xf8E4M3FN, #r1.block_scaled<[128, 128]>> = "kv_b" scales "kv_b_scale_inv"
r1k.packed_weight @kvb : !r1.weight<1024x512xf8E4M3FN> = [@kv_b]
r1k.packed_weight @kvb_scales : !r1.weight<1024x4xf32> = [@kv_b] {row_scales}
r1k.packed_weight @w_uk_t : !r1.weight<2048x128xf8E4M3FN> = [@kv_b] {head_rows = array<i64: 256, 0, 128>, transpose}
r1k.packed_weight @w_uk_t_scales : !r1.weight<2048x1xf32> = [@kv_b] {head_rows = array<i64: 256, 0, 128>, transpose, row_scales}
r1k.kernel @mla "mla" {heads = 4 : i64, nope = 128 : i64, rope = 64 : i64, v = 128 : i64, rank = 512 : i64, scale = 0.0625 : f64, wtype = "f8", wtype_uk = "f8", prefill_absorbed = false, decode_absorbed = true}
r1k.kernel @q "quantize_f8" {hidden = 512 : i64, block = 128 : i64}
func.func @step(%q: memref<?x4x192xf32>, %lat: memref<?x512xf32>, %kpe: memref<?x1x64xf32>, %pos: memref<?xi32>, %o: memref<?x4x128xf32>, %lq: memref<?x512xf32>) {
  r1k.launch @mla(%q, %lat, %kpe, %pos) -> (%o) weights [@kvb, @kvb_scales, @w_uk_t, @w_uk_t_scales] {kv_offset = 576 : i64} : (memref<?x4x192xf32>, memref<?x512xf32>, memref<?x1x64xf32>, memref<?xi32>) -> (memref<?x4x128xf32>)
  r1k.launch @q(%lat) -> (%lq) weights [] : (memref<?x512xf32>) -> (memref<?x512xf32>)
  return
}
