// RUN: r1c-opt %s --split-input-file --r1-fuse-projections | FileCheck %s

// Linears that read one input with weights of one element type and layout
// become one r1.fused_linear, results in block order.

r1.weight @q : !r1.weight<16x8xbf16> = "q_proj.weight"
r1.weight @k : !r1.weight<4x8xbf16> = "k_proj.weight"
r1.weight @v : !r1.weight<4x8xbf16> = "v_proj.weight"
r1.weight @qb : !r1.weight<16xbf16> = "q_proj.bias"
r1.weight @kb : !r1.weight<4xbf16> = "k_proj.bias"
r1.weight @vb : !r1.weight<4xbf16> = "v_proj.bias"

// Q/K/V with biases (Qwen2), each weight read right before its linear as
// the importer does: the reads of K and V are repeated before the fused op.
// CHECK-LABEL: func.func @qkv$bias
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x8xf32>)
// CHECK-DAG: %[[WQ:.+]] = r1.weight.get @q :
// CHECK-DAG: %[[BQ:.+]] = r1.weight.get @qb :
// CHECK-DAG: %[[WK:.+]] = r1.weight.get @k :
// CHECK-DAG: %[[BK:.+]] = r1.weight.get @kb :
// CHECK-DAG: %[[WV:.+]] = r1.weight.get @v :
// CHECK-DAG: %[[BV:.+]] = r1.weight.get @vb :
// CHECK: %[[QKV:.+]]:3 = r1.fused_linear %[[X]] weights(%[[WQ]], %[[WK]], %[[WV]]) biases(%[[BQ]], %[[BK]], %[[BV]])
// CHECK-SAME: -> (tensor<?x16xf32>, tensor<?x4xf32>, tensor<?x4xf32>)
// CHECK-NOT: r1.linear
// CHECK-NOT: r1.weight.get
// CHECK: %[[Q:.+]] = r1.reshape %[[QKV]]#0
// CHECK: %[[K:.+]] = r1.reshape %[[QKV]]#1
// CHECK: %[[V:.+]] = r1.reshape %[[QKV]]#2
// CHECK: return %[[Q]], %[[K]], %[[V]]
func.func @qkv$bias(%x: tensor<?x8xf32>) -> (tensor<?x4x4xf32>, tensor<?x1x4xf32>, tensor<?x1x4xf32>) {
  %wq = r1.weight.get @q : !r1.weight<16x8xbf16>
  %bq = r1.weight.get @qb : !r1.weight<16xbf16>
  %q = r1.linear %x, %wq bias %bq : tensor<?x8xf32>, !r1.weight<16x8xbf16>, !r1.weight<16xbf16> -> tensor<?x16xf32>
  %q3 = r1.reshape %q : tensor<?x16xf32> -> tensor<?x4x4xf32>
  %wk = r1.weight.get @k : !r1.weight<4x8xbf16>
  %bk = r1.weight.get @kb : !r1.weight<4xbf16>
  %k = r1.linear %x, %wk bias %bk : tensor<?x8xf32>, !r1.weight<4x8xbf16>, !r1.weight<4xbf16> -> tensor<?x4xf32>
  %k3 = r1.reshape %k : tensor<?x4xf32> -> tensor<?x1x4xf32>
  %wv = r1.weight.get @v : !r1.weight<4x8xbf16>
  %bv = r1.weight.get @vb : !r1.weight<4xbf16>
  %v = r1.linear %x, %wv bias %bv : tensor<?x8xf32>, !r1.weight<4x8xbf16>, !r1.weight<4xbf16> -> tensor<?x4xf32>
  %v3 = r1.reshape %v : tensor<?x4xf32> -> tensor<?x1x4xf32>
  return %q3, %k3, %v3 : tensor<?x4x4xf32>, tensor<?x1x4xf32>, tensor<?x1x4xf32>
}

// Without biases (Llama), weights given as arguments: used as they are.
// CHECK-LABEL: func.func @qkv$no_bias
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x8xf32>, %[[WQ:[^:]+]]: !r1.weight<16x8xbf16>, %[[WK:[^:]+]]: !r1.weight<4x8xbf16>, %[[WV:[^:]+]]: !r1.weight<4x8xbf16>)
// CHECK-NEXT: %[[QKV:.+]]:3 = r1.fused_linear %[[X]] weights(%[[WQ]], %[[WK]], %[[WV]]) : (tensor<?x8xf32>, !r1.weight<16x8xbf16>, !r1.weight<4x8xbf16>, !r1.weight<4x8xbf16>) -> (tensor<?x16xf32>, tensor<?x4xf32>, tensor<?x4xf32>)
// CHECK-NEXT: return %[[QKV]]#0, %[[QKV]]#1, %[[QKV]]#2
func.func @qkv$no_bias(%x: tensor<?x8xf32>, %wq: !r1.weight<16x8xbf16>, %wk: !r1.weight<4x8xbf16>, %wv: !r1.weight<4x8xbf16>) -> (tensor<?x16xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %q = r1.linear %x, %wq : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %k = r1.linear %x, %wk : tensor<?x8xf32>, !r1.weight<4x8xbf16> -> tensor<?x4xf32>
  %v = r1.linear %x, %wv : tensor<?x8xf32>, !r1.weight<4x8xbf16> -> tensor<?x4xf32>
  return %q, %k, %v : tensor<?x16xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// MLA's down projections, FP8 block-scaled, fuse; the bf16 router reading
// the same input has another element type and stays alone.
// CHECK-LABEL: func.func @mla$fp8
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x8xf32>, %[[QA:[^:]+]]: !r1.weight<6x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>, %[[KVA:[^:]+]]: !r1.weight<5x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>, %[[R:[^:]+]]: !r1.weight<4x8xbf16>)
// CHECK-NEXT: %[[A:.+]]:2 = r1.fused_linear %[[X]] weights(%[[QA]], %[[KVA]]) : (tensor<?x8xf32>, !r1.weight<6x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>, !r1.weight<5x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>) -> (tensor<?x6xf32>, tensor<?x5xf32>)
// CHECK-NEXT: %[[L:.+]] = r1.linear %[[X]], %[[R]]
// CHECK-NEXT: return %[[A]]#0, %[[L]], %[[A]]#1
func.func @mla$fp8(%x: tensor<?x8xf32>, %qa: !r1.weight<6x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>, %kva: !r1.weight<5x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>, %r: !r1.weight<4x8xbf16>) -> (tensor<?x6xf32>, tensor<?x4xf32>, tensor<?x5xf32>) {
  %a = r1.linear %x, %qa : tensor<?x8xf32>, !r1.weight<6x8xf8E4M3FN, #r1.block_scaled<[128, 128]>> -> tensor<?x6xf32>
  %l = r1.linear %x, %r : tensor<?x8xf32>, !r1.weight<4x8xbf16> -> tensor<?x4xf32>
  %b = r1.linear %x, %kva : tensor<?x8xf32>, !r1.weight<5x8xf8E4M3FN, #r1.block_scaled<[128, 128]>> -> tensor<?x5xf32>
  return %a, %l, %b : tensor<?x6xf32>, tensor<?x4xf32>, tensor<?x5xf32>
}

// -----

// Different element types: two groups of one, nothing fused.
// CHECK-LABEL: func.func @mixed_dtypes
// CHECK-NOT: r1.fused_linear
// CHECK-COUNT-2: r1.linear
func.func @mixed_dtypes(%x: tensor<?x8xf32>, %a: !r1.weight<4x8xbf16>, %b: !r1.weight<4x8xf16>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %y = r1.linear %x, %a : tensor<?x8xf32>, !r1.weight<4x8xbf16> -> tensor<?x4xf32>
  %z = r1.linear %x, %b : tensor<?x8xf32>, !r1.weight<4x8xf16> -> tensor<?x4xf32>
  return %y, %z : tensor<?x4xf32>, tensor<?x4xf32>
}

// Same element type, different layouts (block sizes): nothing fused.
// CHECK-LABEL: func.func @mixed_layouts
// CHECK-NOT: r1.fused_linear
// CHECK-COUNT-2: r1.linear
func.func @mixed_layouts(%x: tensor<?x8xf32>, %a: !r1.weight<4x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>, %b: !r1.weight<4x8xf8E4M3FN, #r1.block_scaled<[64, 64]>>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %y = r1.linear %x, %a : tensor<?x8xf32>, !r1.weight<4x8xf8E4M3FN, #r1.block_scaled<[128, 128]>> -> tensor<?x4xf32>
  %z = r1.linear %x, %b : tensor<?x8xf32>, !r1.weight<4x8xf8E4M3FN, #r1.block_scaled<[64, 64]>> -> tensor<?x4xf32>
  return %y, %z : tensor<?x4xf32>, tensor<?x4xf32>
}

// One with a bias, one without: nothing fused.
// CHECK-LABEL: func.func @mixed_bias
// CHECK-NOT: r1.fused_linear
// CHECK-COUNT-2: r1.linear
func.func @mixed_bias(%x: tensor<?x8xf32>, %a: !r1.weight<4x8xbf16>, %b: !r1.weight<4x8xbf16>, %bias: !r1.weight<4xbf16>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %y = r1.linear %x, %a bias %bias : tensor<?x8xf32>, !r1.weight<4x8xbf16>, !r1.weight<4xbf16> -> tensor<?x4xf32>
  %z = r1.linear %x, %b : tensor<?x8xf32>, !r1.weight<4x8xbf16> -> tensor<?x4xf32>
  return %y, %z : tensor<?x4xf32>, tensor<?x4xf32>
}

// Different inputs, and a lone linear: nothing fused.
// CHECK-LABEL: func.func @different_inputs
// CHECK-NOT: r1.fused_linear
// CHECK-COUNT-2: r1.linear
func.func @different_inputs(%x: tensor<?x8xf32>, %y: tensor<?x8xf32>, %a: !r1.weight<4x8xbf16>) -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %p = r1.linear %x, %a : tensor<?x8xf32>, !r1.weight<4x8xbf16> -> tensor<?x4xf32>
  %q = r1.linear %y, %a : tensor<?x8xf32>, !r1.weight<4x8xbf16> -> tensor<?x4xf32>
  return %p, %q : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// Already fused forms are not regrouped: an r1.fused_linear and an
// r1.gated_linear next to a lone r1.linear of the same input stay apart.
// CHECK-LABEL: func.func @fused_forms
// CHECK: r1.fused_linear %{{.+}} weights(%{{[^,]+}})
// CHECK: r1.gated_linear
// CHECK: r1.linear
func.func @fused_forms(%x: tensor<?x8xf32>, %a: !r1.weight<4x8xbf16>, %g: !r1.weight<6x8xbf16>) -> (tensor<?x4xf32>, tensor<?x6xf32>, tensor<?x4xf32>) {
  %f = r1.fused_linear %x weights(%a) : (tensor<?x8xf32>, !r1.weight<4x8xbf16>) -> tensor<?x4xf32>
  %h = r1.gated_linear %x gate %g up %g : (tensor<?x8xf32>, !r1.weight<6x8xbf16>, !r1.weight<6x8xbf16>) -> tensor<?x6xf32>
  %l = r1.linear %x, %a : tensor<?x8xf32>, !r1.weight<4x8xbf16> -> tensor<?x4xf32>
  return %f, %h, %l : tensor<?x4xf32>, tensor<?x6xf32>, tensor<?x4xf32>
}

