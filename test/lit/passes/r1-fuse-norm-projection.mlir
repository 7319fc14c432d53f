// RUN: r1c-opt %s --split-input-file --r1-fuse-norm-projection | FileCheck %s

// A norm whose every user is a projection without a norm moves into those
// projections: each reads the raw input and normalizes it itself.

// One linear (DeepSeek's q_b_proj after q_a_layernorm): a one-weight
// fused_linear.
// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x6xf32>, %[[G:[^:]+]]: !r1.weight<6xbf16>, %[[W:[^:]+]]: !r1.weight<12x6xbf16>)
// CHECK-NEXT: %[[Q:.+]] = r1.fused_linear %[[X]] norm(%[[G]] eps 9.9999999999999995E-7) weights(%[[W]]) : (tensor<?x6xf32>, !r1.weight<6xbf16>, !r1.weight<12x6xbf16>) -> tensor<?x12xf32>
// CHECK-NEXT: return %[[Q]]
func.func @linear(%x: tensor<?x6xf32>, %g: !r1.weight<6xbf16>, %w: !r1.weight<12x6xbf16>) -> tensor<?x12xf32> {
  %n = r1.rms_norm %x, %g eps 1.0e-6 : tensor<?x6xf32>, !r1.weight<6xbf16>
  %q = r1.linear %n, %w : tensor<?x6xf32>, !r1.weight<12x6xbf16> -> tensor<?x12xf32>
  return %q : tensor<?x12xf32>
}

// A linear with a bias keeps it.
// CHECK-LABEL: func.func @linear$bias
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x6xf32>, %[[G:[^:]+]]: !r1.weight<6xbf16>, %[[W:[^:]+]]: !r1.weight<12x6xbf16>, %[[B:[^:]+]]: !r1.weight<12xbf16>)
// CHECK-NEXT: %[[Q:.+]] = r1.fused_linear %[[X]] norm(%[[G]] eps 9.9999999999999995E-7) weights(%[[W]]) biases(%[[B]])
// CHECK-NEXT: return %[[Q]]
func.func @linear$bias(%x: tensor<?x6xf32>, %g: !r1.weight<6xbf16>, %w: !r1.weight<12x6xbf16>, %b: !r1.weight<12xbf16>) -> tensor<?x12xf32> {
  %n = r1.rms_norm %x, %g eps 1.0e-6 : tensor<?x6xf32>, !r1.weight<6xbf16>
  %q = r1.linear %n, %w bias %b : tensor<?x6xf32>, !r1.weight<12x6xbf16>, !r1.weight<12xbf16> -> tensor<?x12xf32>
  return %q : tensor<?x12xf32>
}

// -----

// Layer 0's input norm read by the fused Q/K/V and, in the same function,
// a gated_linear: every user takes the norm, the norm goes.
// CHECK-LABEL: func.func @fused_users
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x8xf32>, %[[G:[^:]+]]: !r1.weight<8xbf16>, %[[WQ:[^:]+]]: !r1.weight<16x8xbf16>, %[[WK:[^:]+]]: !r1.weight<4x8xbf16>, %[[BQ:[^:]+]]: !r1.weight<16xbf16>, %[[BK:[^:]+]]: !r1.weight<4xbf16>, %[[WG:[^:]+]]: !r1.weight<6x8xbf16>, %[[WU:[^:]+]]: !r1.weight<6x8xbf16>)
// CHECK-NOT: r1.rms_norm
// CHECK: %[[QK:.+]]:2 = r1.fused_linear %[[X]] norm(%[[G]] eps 1.000000e-05) weights(%[[WQ]], %[[WK]]) biases(%[[BQ]], %[[BK]]) : (tensor<?x8xf32>, !r1.weight<8xbf16>, !r1.weight<16x8xbf16>, !r1.weight<4x8xbf16>, !r1.weight<16xbf16>, !r1.weight<4xbf16>) -> (tensor<?x16xf32>, tensor<?x4xf32>)
// CHECK-NEXT: %[[H:.+]] = r1.gated_linear %[[X]] norm(%[[G]] eps 1.000000e-05) gate %[[WG]] up %[[WU]] : (tensor<?x8xf32>, !r1.weight<8xbf16>, !r1.weight<6x8xbf16>, !r1.weight<6x8xbf16>) -> tensor<?x6xf32>
// CHECK-NEXT: return %[[QK]]#0, %[[QK]]#1, %[[H]]
func.func @fused_users(%x: tensor<?x8xf32>, %g: !r1.weight<8xbf16>, %wq: !r1.weight<16x8xbf16>, %wk: !r1.weight<4x8xbf16>, %bq: !r1.weight<16xbf16>, %bk: !r1.weight<4xbf16>, %wg: !r1.weight<6x8xbf16>, %wu: !r1.weight<6x8xbf16>) -> (tensor<?x16xf32>, tensor<?x4xf32>, tensor<?x6xf32>) {
  %n = r1.rms_norm %x, %g eps 1.0e-5 : tensor<?x8xf32>, !r1.weight<8xbf16>
  %q, %k = r1.fused_linear %n weights(%wq, %wk) biases(%bq, %bk) : (tensor<?x8xf32>, !r1.weight<16x8xbf16>, !r1.weight<4x8xbf16>, !r1.weight<16xbf16>, !r1.weight<4xbf16>) -> (tensor<?x16xf32>, tensor<?x4xf32>)
  %h = r1.gated_linear %n gate %wg up %wu : (tensor<?x8xf32>, !r1.weight<6x8xbf16>, !r1.weight<6x8xbf16>) -> tensor<?x6xf32>
  return %q, %k, %h : tensor<?x16xf32>, tensor<?x4xf32>, tensor<?x6xf32>
}

// -----

// The normed value also leaves the function (or feeds a concat, MoE
// experts): it must exist, so the norm stays and no user changes.
// CHECK-LABEL: func.func @normed_used_elsewhere
// CHECK-NEXT: %[[N:.+]] = r1.rms_norm
// CHECK-NEXT: r1.linear %[[N]]
// CHECK-NOT: r1.fused_linear
func.func @normed_used_elsewhere(%x: tensor<?x6xf32>, %g: !r1.weight<6xbf16>, %w: !r1.weight<12x6xbf16>) -> (tensor<?x12xf32>, tensor<?x6xf32>) {
  %n = r1.rms_norm %x, %g eps 1.0e-6 : tensor<?x6xf32>, !r1.weight<6xbf16>
  %q = r1.linear %n, %w : tensor<?x6xf32>, !r1.weight<12x6xbf16> -> tensor<?x12xf32>
  return %q, %n : tensor<?x12xf32>, tensor<?x6xf32>
}

// CHECK-LABEL: func.func @concat_user
// CHECK: r1.rms_norm
// CHECK-NOT: norm(
func.func @concat_user(%x: tensor<?x6xf32>, %g: !r1.weight<6xbf16>, %w: !r1.weight<12x6xbf16>) -> (tensor<?x12xf32>, tensor<?x12xf32>) {
  %n = r1.rms_norm %x, %g eps 1.0e-6 : tensor<?x6xf32>, !r1.weight<6xbf16>
  %q = r1.linear %n, %w : tensor<?x6xf32>, !r1.weight<12x6xbf16> -> tensor<?x12xf32>
  %c = r1.concat %n, %n : (tensor<?x6xf32>, tensor<?x6xf32>) -> tensor<?x12xf32>
  return %q, %c : tensor<?x12xf32>, tensor<?x12xf32>
}

// -----

// A user that normalizes already cannot take a second norm: nothing moves.
// CHECK-LABEL: func.func @user_has_norm
// CHECK-NEXT: %[[N:.+]] = r1.rms_norm
// CHECK-NEXT: r1.fused_linear %[[N]] norm(
// CHECK-NEXT: r1.linear %[[N]]
func.func @user_has_norm(%x: tensor<?x6xf32>, %g: !r1.weight<6xbf16>, %w: !r1.weight<12x6xbf16>) -> (tensor<?x12xf32>, tensor<?x12xf32>) {
  %n = r1.rms_norm %x, %g eps 1.0e-6 : tensor<?x6xf32>, !r1.weight<6xbf16>
  %a = r1.fused_linear %n norm(%g eps 1.0e-6) weights(%w) : (tensor<?x6xf32>, !r1.weight<6xbf16>, !r1.weight<12x6xbf16>) -> tensor<?x12xf32>
  %b = r1.linear %n, %w : tensor<?x6xf32>, !r1.weight<12x6xbf16> -> tensor<?x12xf32>
  return %a, %b : tensor<?x12xf32>, tensor<?x12xf32>
}
