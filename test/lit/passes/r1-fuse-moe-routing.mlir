// RUN: r1c-opt %s --split-input-file --r1-fuse-moe-routing | FileCheck %s

// DeepSeek-V3/R1 (noaux_tc): sigmoid scores, e_score_correction_bias and
// top2_sum group scores. The router projection, the sigmoid and the top-k
// become one r1.moe.route that keeps the bias and every attribute.

// CHECK-LABEL: func.func @route$v3
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x128xf32>, %[[WG:[^:]+]]: !r1.weight<16x128xbf16>, %[[B:[^:]+]]: !r1.weight<16xf32>)
// CHECK-NEXT: %[[IDS:.+]], %[[W:.+]] = r1.moe.route %[[X]], %[[WG]] bias %[[B]] sigmoid {group_score = #r1.group_score<top2_sum>, normalize = true, num_groups = 4 : i64, scaling_factor = 2.500000e+00 : f64, top_k = 4 : i64, topk_groups = 2 : i64} : tensor<?x128xf32>, !r1.weight<16x128xbf16>, !r1.weight<16xf32> -> tensor<?x4xi32>, tensor<?x4xf32>
// CHECK-NEXT: return %[[IDS]], %[[W]]
func.func @route$v3(%x: tensor<?x128xf32>, %wg: !r1.weight<16x128xbf16>, %b: !r1.weight<16xf32>) -> (tensor<?x4xi32>, tensor<?x4xf32>) {
  %logits = r1.linear %x, %wg : tensor<?x128xf32>, !r1.weight<16x128xbf16> -> tensor<?x16xf32>
  %s = r1.sigmoid %logits : tensor<?x16xf32>
  %ids, %w = r1.moe.topk %s bias %b {top_k = 4, num_groups = 4, topk_groups = 2, group_score = #r1.group_score<top2_sum>, normalize = true, scaling_factor = 2.5} : tensor<?x16xf32>, !r1.weight<16xf32> -> tensor<?x4xi32>, tensor<?x4xf32>
  return %ids, %w : tensor<?x4xi32>, tensor<?x4xf32>
}

// -----

// DeepSeek-V2 (greedy): softmax scores, no bias, one group, no
// renormalization.

// CHECK-LABEL: func.func @route$v2
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x64xf32>, %[[WG:[^:]+]]: !r1.weight<8x64xbf16>)
// CHECK-NEXT: %[[IDS:.+]], %[[W:.+]] = r1.moe.route %[[X]], %[[WG]] softmax {group_score = #r1.group_score<none>, normalize = false, num_groups = 1 : i64, scaling_factor = 1.000000e+00 : f64, top_k = 2 : i64, topk_groups = 1 : i64} : tensor<?x64xf32>, !r1.weight<8x64xbf16> -> tensor<?x2xi32>, tensor<?x2xf32>
// CHECK-NEXT: return %[[IDS]], %[[W]]
func.func @route$v2(%x: tensor<?x64xf32>, %wg: !r1.weight<8x64xbf16>) -> (tensor<?x2xi32>, tensor<?x2xf32>) {
  %logits = r1.linear %x, %wg : tensor<?x64xf32>, !r1.weight<8x64xbf16> -> tensor<?x8xf32>
  %p = r1.softmax %logits : tensor<?x8xf32>
  %ids, %w = r1.moe.topk %p {top_k = 2, num_groups = 1, topk_groups = 1, group_score = #r1.group_score<none>, normalize = false, scaling_factor = 1.0} : tensor<?x8xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  return %ids, %w : tensor<?x2xi32>, tensor<?x2xf32>
}

// -----

// The router inside an MoE layer: the routed experts read the route's
// results, and the weights read by r1.weight.get stay where they are.

// CHECK-LABEL: func.func @route$layer
// CHECK: %[[WG:.+]] = r1.weight.get @gate.weight
// CHECK-NEXT: %[[B:.+]] = r1.weight.get @gate.e_score_correction_bias
// CHECK-NEXT: %[[IDS:.+]], %[[W:.+]] = r1.moe.route %[[X:.+]], %[[WG]] bias %[[B]] sigmoid {group_score = #r1.group_score<max>,
// CHECK-NOT: r1.linear
// CHECK-NOT: r1.sigmoid
// CHECK: r1.moe.experts %[[X]], %[[IDS]], %[[W]],
r1.weight @gate.weight : !r1.weight<8x64xbf16> = "gate.weight"
r1.weight @gate.e_score_correction_bias : !r1.weight<8xf32> = "gate.e_score_correction_bias"
r1.weight @experts.gate : !r1.weight<8x32x64xbf16> = "experts.{expert}.gate"
r1.weight @experts.up : !r1.weight<8x32x64xbf16> = "experts.{expert}.up"
r1.weight @experts.down : !r1.weight<8x64x32xbf16> = "experts.{expert}.down"
func.func @route$layer(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %wg = r1.weight.get @gate.weight : !r1.weight<8x64xbf16>
  %logits = r1.linear %x, %wg : tensor<?x64xf32>, !r1.weight<8x64xbf16> -> tensor<?x8xf32>
  %s = r1.sigmoid %logits : tensor<?x8xf32>
  %b = r1.weight.get @gate.e_score_correction_bias : !r1.weight<8xf32>
  %ids, %w = r1.moe.topk %s bias %b {top_k = 2, num_groups = 2, topk_groups = 1, group_score = #r1.group_score<max>, normalize = true, scaling_factor = 1.0} : tensor<?x8xf32>, !r1.weight<8xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  %g = r1.weight.get @experts.gate : !r1.weight<8x32x64xbf16>
  %u = r1.weight.get @experts.up : !r1.weight<8x32x64xbf16>
  %d = r1.weight.get @experts.down : !r1.weight<8x64x32xbf16>
  %y = r1.moe.experts %x, %ids, %w, %g, %u, %d : (tensor<?x64xf32>, tensor<?x2xi32>, tensor<?x2xf32>, !r1.weight<8x32x64xbf16>, !r1.weight<8x32x64xbf16>, !r1.weight<8x64x32xbf16>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A router projection with a bias: left alone.
// CHECK-LABEL: func.func @route$linear_bias
// CHECK-NOT: r1.moe.route
// CHECK: r1.linear
// CHECK: r1.sigmoid
// CHECK: r1.moe.topk
func.func @route$linear_bias(%x: tensor<?x64xf32>, %wg: !r1.weight<8x64xbf16>, %lb: !r1.weight<8xbf16>) -> (tensor<?x2xi32>, tensor<?x2xf32>) {
  %logits = r1.linear %x, %wg bias %lb : tensor<?x64xf32>, !r1.weight<8x64xbf16>, !r1.weight<8xbf16> -> tensor<?x8xf32>
  %s = r1.sigmoid %logits : tensor<?x8xf32>
  %ids, %w = r1.moe.topk %s {top_k = 2, num_groups = 1, topk_groups = 1, group_score = #r1.group_score<none>, normalize = true, scaling_factor = 1.0} : tensor<?x8xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  return %ids, %w : tensor<?x2xi32>, tensor<?x2xf32>
}

// -----

// The scores or the logits read elsewhere must stay: nothing is fused.
// CHECK-LABEL: func.func @route$scores_used
// CHECK-NOT: r1.moe.route
// CHECK: r1.moe.topk
func.func @route$scores_used(%x: tensor<?x64xf32>, %wg: !r1.weight<8x64xbf16>) -> (tensor<?x2xi32>, tensor<?x2xf32>, tensor<?x8xf32>) {
  %logits = r1.linear %x, %wg : tensor<?x64xf32>, !r1.weight<8x64xbf16> -> tensor<?x8xf32>
  %s = r1.sigmoid %logits : tensor<?x8xf32>
  %ids, %w = r1.moe.topk %s {top_k = 2, num_groups = 1, topk_groups = 1, group_score = #r1.group_score<none>, normalize = true, scaling_factor = 1.0} : tensor<?x8xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  return %ids, %w, %s : tensor<?x2xi32>, tensor<?x2xf32>, tensor<?x8xf32>
}

// CHECK-LABEL: func.func @route$logits_used
// CHECK-NOT: r1.moe.route
// CHECK: r1.moe.topk
func.func @route$logits_used(%x: tensor<?x64xf32>, %wg: !r1.weight<8x64xbf16>) -> (tensor<?x2xi32>, tensor<?x2xf32>, tensor<?x8xf32>) {
  %logits = r1.linear %x, %wg : tensor<?x64xf32>, !r1.weight<8x64xbf16> -> tensor<?x8xf32>
  %p = r1.softmax %logits : tensor<?x8xf32>
  %ids, %w = r1.moe.topk %p {top_k = 2, num_groups = 1, topk_groups = 1, group_score = #r1.group_score<none>, normalize = true, scaling_factor = 1.0} : tensor<?x8xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  return %ids, %w, %logits : tensor<?x2xi32>, tensor<?x2xf32>, tensor<?x8xf32>
}

// -----

// Scores through an op other than sigmoid or softmax (here silu), or the raw
// logits: left alone.
// CHECK-LABEL: func.func @route$other_scoring
// CHECK-NOT: r1.moe.route
// CHECK: r1.silu
// CHECK: r1.moe.topk
// CHECK: r1.moe.topk
func.func @route$other_scoring(%x: tensor<?x64xf32>, %wg: !r1.weight<8x64xbf16>, %wg2: !r1.weight<8x64xbf16>) -> (tensor<?x2xi32>, tensor<?x2xi32>) {
  %logits = r1.linear %x, %wg : tensor<?x64xf32>, !r1.weight<8x64xbf16> -> tensor<?x8xf32>
  %s = r1.silu %logits : tensor<?x8xf32>
  %ids, %w = r1.moe.topk %s {top_k = 2, num_groups = 1, topk_groups = 1, group_score = #r1.group_score<none>, normalize = true, scaling_factor = 1.0} : tensor<?x8xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  %logits2 = r1.linear %x, %wg2 : tensor<?x64xf32>, !r1.weight<8x64xbf16> -> tensor<?x8xf32>
  %ids2, %w2 = r1.moe.topk %logits2 {top_k = 2, num_groups = 1, topk_groups = 1, group_score = #r1.group_score<none>, normalize = true, scaling_factor = 1.0} : tensor<?x8xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  return %ids, %ids2 : tensor<?x2xi32>, tensor<?x2xi32>
}
