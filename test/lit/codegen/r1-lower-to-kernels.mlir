// RUN: r1c-opt %s --r1-lower-to-kernels --split-input-file --verify-diagnostics | FileCheck %s

// A one-layer dense decoder after the CPU fusions: every op becomes a launch
// of a kernel specialized to its shape; fused projections stack their
// weights; norms and biases are packed as f32; the final projection reads
// only the rows the caller wants and writes %logits.


// CHECK-LABEL: func.func @step
// CHECK-SAME:    (%[[TOKENS:.+]]: memref<?xi32>, %[[POS:.+]]: memref<?xi32>, %[[LOGITS:.+]]: memref<?x1000xf32>)
// CHECK-SAME:    r1k.kv_floats_per_token = 64
// CHECK:         %[[X:.+]] = r1k.buffer : memref<?x64xf32>
// CHECK:         r1k.launch @[[EMBED:embed_[0-9]+]](%[[TOKENS]]) -> (%[[X]]) weights [@"embed:bf16"]
// CHECK:         r1k.launch @[[QKV:linear_[0-9]+]](%[[X]]) -> (%[[Q:.+]], %[[K:.+]], %[[V:.+]]) weights [@"{q,k,v}:bf16", @"b{q,k,v}:f32", @"norm0:f32"]
// CHECK:         %[[QH:.+]] = r1k.view %[[Q]] : memref<?x64xf32> -> memref<?x4x16xf32>
// CHECK:         r1k.launch @[[ROPEQ:rope_[0-9]+]](%[[QH]], %[[POS]])
// CHECK:         r1k.launch @[[ATTN:attention_[0-9]+]]({{.*}}, %[[POS]]) -> ({{.*}}) weights [] {kv_offset = 0 : i64, layer = 0 : i64}
// CHECK:         r1k.launch @[[GATED:gated_linear_[0-9]+]]
// CHECK:         %[[ROWS:.+]] = r1k.logits_rows %{{.+}} : memref<?x64xf32>
// CHECK:         r1k.launch @{{linear_[0-9]+}}(%[[ROWS]]) -> (%[[LOGITS]]) weights [@"embed:bf16"]
// CHECK-DAG: r1k.packed_weight @"embed:bf16" : !r1.weight<1000x64xbf16> = [@embed]
// CHECK-DAG: r1k.kernel @[[EMBED]] "embed" {hidden = 64 : i64, vocab = 1000 : i64, wtype = "bf16"}
// CHECK-DAG: r1k.packed_weight @"{q,k,v}:bf16" : !r1.weight<128x64xbf16> = [@q, @k, @v]
// CHECK-DAG: r1k.packed_weight @"b{q,k,v}:f32" : !r1.weight<128xf32> = [@bq, @bk, @bv]
// CHECK-DAG: r1k.packed_weight @"norm0:f32" : !r1.weight<64xf32> = [@norm0]
// CHECK-DAG: r1k.kernel @[[QKV]] "linear" {bias = true, eps = 9.9999999999999995E-7 : f64, k = 64 : i64, n = array<i64: 64, 32, 32>, norm = true, wtype = "bf16"}
// CHECK-DAG: r1k.kernel @[[ROPEQ]] "rope" {dim = 16 : i64, heads = 4 : i64, interleaved = false, inv_freq = array<f32: 1.000000e+00, 0.316227764, 1.000000e-01, 0.0316227786, 0.00999999977, 0.00316227786, 1.000000e-03, 3.16227786E-4>}
// CHECK-DAG: r1k.kernel @[[ATTN]] "attention" {head_dim = 16 : i64, kv_heads = 2 : i64, q_heads = 4 : i64, scale = 2.500000e-01 : f64, v_head_dim = 16 : i64}
// CHECK-DAG: r1k.kernel @[[GATED]] "gated_linear" {i = 96 : i64, k = 64 : i64, norm = false, wtype = "bf16"}
// CHECK-DAG: r1k.packed_weight @"{gate,up}:bf16" : !r1.weight<192x64xbf16> = [@gate, @up]
// CHECK-NOT: func.func @forward

module {
  r1.weight @embed : !r1.weight<1000x64xbf16> = "embed"
  r1.weight @norm0 : !r1.weight<64xbf16> = "norm0"
  r1.weight @q : !r1.weight<64x64xbf16> = "q"
  r1.weight @k : !r1.weight<32x64xbf16> = "k"
  r1.weight @v : !r1.weight<32x64xbf16> = "v"
  r1.weight @bq : !r1.weight<64xbf16> = "bq"
  r1.weight @bk : !r1.weight<32xbf16> = "bk"
  r1.weight @bv : !r1.weight<32xbf16> = "bv"
  r1.weight @o : !r1.weight<64x64xbf16> = "o"
  r1.weight @norm1 : !r1.weight<64xbf16> = "norm1"
  r1.weight @gate : !r1.weight<96x64xbf16> = "gate"
  r1.weight @up : !r1.weight<96x64xbf16> = "up"
  r1.weight @down : !r1.weight<64x96xbf16> = "down"
  r1.weight @final : !r1.weight<64xbf16> = "final"
  func.func @forward(%tokens: tensor<?xi32>, %pos: tensor<?xi32>) -> tensor<?x1000xf32> {
    %we = r1.weight.get @embed : !r1.weight<1000x64xbf16>
    %x = r1.embed %tokens, %we : (tensor<?xi32>, !r1.weight<1000x64xbf16>) -> tensor<?x64xf32>
    %n0 = r1.weight.get @norm0 : !r1.weight<64xbf16>
    %wq = r1.weight.get @q : !r1.weight<64x64xbf16>
    %wk = r1.weight.get @k : !r1.weight<32x64xbf16>
    %wv = r1.weight.get @v : !r1.weight<32x64xbf16>
    %bq = r1.weight.get @bq : !r1.weight<64xbf16>
    %bk = r1.weight.get @bk : !r1.weight<32xbf16>
    %bv = r1.weight.get @bv : !r1.weight<32xbf16>
    %q, %k, %v = r1.fused_linear %x norm(%n0 eps 1.0E-6) weights(%wq, %wk, %wv) biases(%bq, %bk, %bv) : (tensor<?x64xf32>, !r1.weight<64xbf16>, !r1.weight<64x64xbf16>, !r1.weight<32x64xbf16>, !r1.weight<32x64xbf16>, !r1.weight<64xbf16>, !r1.weight<32xbf16>, !r1.weight<32xbf16>) -> (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>)
    %qh = r1.reshape %q : tensor<?x64xf32> -> tensor<?x4x16xf32>
    %kh = r1.reshape %k : tensor<?x32xf32> -> tensor<?x2x16xf32>
    %vh = r1.reshape %v : tensor<?x32xf32> -> tensor<?x2x16xf32>
    %qr = r1.rope %qh, %pos half theta 1.000000e+04 : tensor<?x4x16xf32>, tensor<?xi32>
    %kr = r1.rope %kh, %pos half theta 1.000000e+04 : tensor<?x2x16xf32>, tensor<?xi32>
    %a = r1.attention %qr, %kr, %vh, %pos layer 0 scale 2.500000e-01 : (tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, tensor<?xi32>) -> tensor<?x4x16xf32>
    %af = r1.reshape %a : tensor<?x4x16xf32> -> tensor<?x64xf32>
    %wo = r1.weight.get @o : !r1.weight<64x64xbf16>
    %o = r1.linear %af, %wo : tensor<?x64xf32>, !r1.weight<64x64xbf16> -> tensor<?x64xf32>
    %n1 = r1.weight.get @norm1 : !r1.weight<64xbf16>
    %s, %h = r1.add_rms_norm %x, %o, %n1 eps 1.0E-6 : tensor<?x64xf32>, !r1.weight<64xbf16>
    %wg = r1.weight.get @gate : !r1.weight<96x64xbf16>
    %wu = r1.weight.get @up : !r1.weight<96x64xbf16>
    %m = r1.gated_linear %h gate %wg up %wu : (tensor<?x64xf32>, !r1.weight<96x64xbf16>, !r1.weight<96x64xbf16>) -> tensor<?x96xf32>
    %wd = r1.weight.get @down : !r1.weight<64x96xbf16>
    %d = r1.linear %m, %wd : tensor<?x96xf32>, !r1.weight<64x96xbf16> -> tensor<?x64xf32>
    %nf = r1.weight.get @final : !r1.weight<64xbf16>
    %s2, %hf = r1.add_rms_norm %s, %d, %nf eps 1.0E-6 : tensor<?x64xf32>, !r1.weight<64xbf16>
    %logits = r1.linear %hf, %we : tensor<?x64xf32>, !r1.weight<1000x64xbf16> -> tensor<?x1000xf32>
    return %logits : tensor<?x1000xf32>
  }
}

// -----

// Ops without a host kernel are errors naming the op.
module {
  r1.weight @embed : !r1.weight<100x8xbf16> = "embed"
  func.func @forward(%tokens: tensor<?xi32>, %pos: tensor<?xi32>) -> tensor<?x100xf32> {
    %we = r1.weight.get @embed : !r1.weight<100x8xbf16>
    %x = r1.embed %tokens, %we : (tensor<?xi32>, !r1.weight<100x8xbf16>) -> tensor<?x8xf32>
    // expected-error @+1 {{'r1.concat' op has no host kernel for other than two inputs}}
    %y = r1.concat %x, %x, %x : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x24xf32>
    %z = r1.slice %y offset 0 size 8 : tensor<?x24xf32> -> tensor<?x8xf32>
    %logits = r1.linear %z, %we : tensor<?x8xf32>, !r1.weight<100x8xbf16> -> tensor<?x100xf32>
    return %logits : tensor<?x100xf32>
  }
}

// -----

// FP8 block-scaled weights stay FP8: the codes are packed as they are and
// their block scales row-expanded into a second packed weight, passed last.
// CHECK-LABEL: func.func @step
// CHECK: r1k.launch @[[LIN:linear_[0-9]+]](%{{.+}}) -> (%{{.+}}) weights [@"w:f8E4M3FN", @"w:scales"]
// CHECK-DAG: r1k.packed_weight @"w:f8E4M3FN" : !r1.weight<200x130xf8E4M3FN> = [@w]
// CHECK-DAG: r1k.packed_weight @"w:scales" : !r1.weight<200x2xf32> = [@w] {row_scales}
// CHECK-DAG: r1k.kernel @[[LIN]] "linear" {bias = false, k = 130 : i64, n = array<i64: 200>, norm = false, wtype = "f8"}
module {
  r1.weight @embed : !r1.weight<100x200xbf16> = "embed"
  r1.weight @w : !r1.weight<200x130xf8E4M3FN, #r1.block_scaled<[128, 128]>> = "w" scales "w_scale"
  r1.weight @v : !r1.weight<130x200xbf16> = "v"
  func.func @forward(%tokens: tensor<?xi32>, %pos: tensor<?xi32>) -> tensor<?x100xf32> {
    %wv = r1.weight.get @v : !r1.weight<130x200xbf16>
    %we = r1.weight.get @embed : !r1.weight<100x200xbf16>
    %x = r1.embed %tokens, %we : (tensor<?xi32>, !r1.weight<100x200xbf16>) -> tensor<?x200xf32>
    %h = r1.linear %x, %wv : tensor<?x200xf32>, !r1.weight<130x200xbf16> -> tensor<?x130xf32>
    %w = r1.weight.get @w : !r1.weight<200x130xf8E4M3FN, #r1.block_scaled<[128, 128]>>
    %y = r1.linear %h, %w : tensor<?x130xf32>, !r1.weight<200x130xf8E4M3FN, #r1.block_scaled<[128, 128]>> -> tensor<?x200xf32>
    %logits = r1.linear %y, %we : tensor<?x200xf32>, !r1.weight<100x200xbf16> -> tensor<?x100xf32>
    return %logits : tensor<?x100xf32>
  }
}

// -----

// Integer group-scaled weights with groups the kernels do not have.
module {
  r1.weight @embed : !r1.weight<100x128xbf16> = "embed"
  r1.weight @w : !r1.weight<128x96xi4, #r1.group_scaled<48, f16>> = "w" from !r1.weight<128x96xbf16>
  func.func @forward(%tokens: tensor<?xi32>, %pos: tensor<?xi32>) -> tensor<?x100xf32> {
    %we = r1.weight.get @embed : !r1.weight<100x128xbf16>
    %x = r1.embed %tokens, %we : (tensor<?xi32>, !r1.weight<100x128xbf16>) -> tensor<?x128xf32>
    %w = r1.weight.get @w : !r1.weight<128x96xi4, #r1.group_scaled<48, f16>>
    %x96 = r1.slice %x offset 0 size 96 : tensor<?x128xf32> -> tensor<?x96xf32>
    // expected-error @+1 {{the kernels read groups of 32, 64 or 128 with f16 scales}}
    %y = r1.linear %x96, %w : tensor<?x96xf32>, !r1.weight<128x96xi4, #r1.group_scaled<48, f16>> -> tensor<?x128xf32>
    %logits = r1.linear %y, %we : tensor<?x128xf32>, !r1.weight<100x128xbf16> -> tensor<?x100xf32>
    return %logits : tensor<?x100xf32>
  }
}

// -----

// Integer group-scaled weights (r1c compile --quant int4): the codes keep
// their layout, and their f16 group scales are packed beside them as one
// more weight of the launch, as FP8's block scales are.
// CHECK: r1k.launch @[[INT4:linear_[0-9]+]]({{.*}}) -> ({{.*}}) weights [@"w:i4", @"w:scales"]
// CHECK-DAG: r1k.packed_weight @"w:i4" : !r1.weight<128x128xi4, #r1.group_scaled<32, f16>> = [@w]
// CHECK-DAG: r1k.packed_weight @"w:scales" : !r1.weight<128x4xf16> = [@w] {row_scales}
// CHECK-DAG: r1k.kernel @[[INT4]] "linear" {bias = false, k = 128 : i64, n = array<i64: 128>, norm = false, wtype = "i4g32"}
module {
  r1.weight @embed : !r1.weight<100x128xbf16> = "embed"
  r1.weight @w : !r1.weight<128x128xi4, #r1.group_scaled<32, f16>> = "w" from !r1.weight<128x128xbf16>
  func.func @forward(%tokens: tensor<?xi32>, %pos: tensor<?xi32>) -> tensor<?x100xf32> {
    %we = r1.weight.get @embed : !r1.weight<100x128xbf16>
    %x = r1.embed %tokens, %we : (tensor<?xi32>, !r1.weight<100x128xbf16>) -> tensor<?x128xf32>
    %w = r1.weight.get @w : !r1.weight<128x128xi4, #r1.group_scaled<32, f16>>
    %y = r1.linear %x, %w : tensor<?x128xf32>, !r1.weight<128x128xi4, #r1.group_scaled<32, f16>> -> tensor<?x128xf32>
    %logits = r1.linear %y, %we : tensor<?x128xf32>, !r1.weight<100x128xbf16> -> tensor<?x100xf32>
    return %logits : tensor<?x100xf32>
  }
}
