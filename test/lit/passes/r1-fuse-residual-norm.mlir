// RUN: r1c-opt %s --split-input-file --r1-fuse-residual-norm | FileCheck %s

// rms_norm(add(a, b)) becomes add_rms_norm a, b: `sum` carries the residual
// stream on, `result` replaces the norm.

r1.weight @post_norm : !r1.weight<8xbf16> = "post_attention_layernorm.weight"
r1.weight @next_norm : !r1.weight<8xbf16> = "input_layernorm.weight"

// Two layers' worth: the first sum feeds the second add, whose norm fuses
// too. The norm weights are read after the adds, so they are re-read before
// the fused ops; the operands keep their order.
// CHECK-LABEL: func.func @residual_stream
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x8xf32>, %[[ATTN:[^:]+]]: tensor<?x8xf32>, %[[MLP:[^:]+]]: tensor<?x8xf32>)
// CHECK-NEXT: %[[W1:.+]] = r1.weight.get @post_norm : !r1.weight<8xbf16>
// CHECK-NEXT: %[[H:.+]], %[[N1:.+]] = r1.add_rms_norm %[[X]], %[[ATTN]], %[[W1]] eps 9.9999999999999995E-7 : tensor<?x8xf32>, !r1.weight<8xbf16>
// CHECK-NEXT: %[[W2:.+]] = r1.weight.get @next_norm : !r1.weight<8xbf16>
// CHECK-NEXT: %[[H2:.+]], %[[N2:.+]] = r1.add_rms_norm %[[H]], %[[MLP]], %[[W2]] eps 1.000000e-05 : tensor<?x8xf32>, !r1.weight<8xbf16>
// CHECK-NEXT: return %[[N1]], %[[N2]], %[[H2]]
func.func @residual_stream(%x: tensor<?x8xf32>, %attn: tensor<?x8xf32>, %mlp: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %h = r1.add %x, %attn : tensor<?x8xf32>
  %w1 = r1.weight.get @post_norm : !r1.weight<8xbf16>
  %n1 = r1.rms_norm %h, %w1 eps 1.0e-6 : tensor<?x8xf32>, !r1.weight<8xbf16>
  %h2 = r1.add %h, %mlp : tensor<?x8xf32>
  %w2 = r1.weight.get @next_norm : !r1.weight<8xbf16>
  %n2 = r1.rms_norm %h2, %w2 eps 1.0e-5 : tensor<?x8xf32>, !r1.weight<8xbf16>
  return %n1, %n2, %h2 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}

// The add has a user between itself and the norm: the fused op takes the
// add's place, so that user still sees the sum.
// CHECK-LABEL: func.func @user_before_norm
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x8xf32>, %[[D:[^:]+]]: tensor<?x8xf32>, %[[W:[^:]+]]: !r1.weight<8xbf16>)
// CHECK-NEXT: %[[H:.+]], %[[N:.+]] = r1.add_rms_norm %[[X]], %[[D]], %[[W]]
// CHECK-NEXT: %[[S:.+]] = r1.silu %[[H]]
// CHECK-NEXT: return %[[S]], %[[N]]
func.func @user_before_norm(%x: tensor<?x8xf32>, %d: tensor<?x8xf32>, %w: !r1.weight<8xbf16>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %h = r1.add %x, %d : tensor<?x8xf32>
  %s = r1.silu %h : tensor<?x8xf32>
  %n = r1.rms_norm %h, %w eps 1.0e-6 : tensor<?x8xf32>, !r1.weight<8xbf16>
  return %s, %n : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// A norm after no add (the first layer's, after the embedding) and an add
// followed by no norm (routed + shared experts) stay as they are.
// CHECK-LABEL: func.func @no_pair
// CHECK-NOT: r1.add_rms_norm
// CHECK: r1.rms_norm
// CHECK: r1.add
func.func @no_pair(%x: tensor<?x8xf32>, %y: tensor<?x8xf32>, %w: !r1.weight<8xbf16>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %n = r1.rms_norm %x, %w eps 1.0e-6 : tensor<?x8xf32>, !r1.weight<8xbf16>
  %a = r1.add %x, %y : tensor<?x8xf32>
  %s = r1.silu %a : tensor<?x8xf32>
  return %n, %s : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Two norms of one add: the first fuses; the second now reads the fused
// op's `sum` and stays a plain norm.
// CHECK-LABEL: func.func @two_norms
// CHECK: %[[H:.+]], %[[N1:.+]] = r1.add_rms_norm
// CHECK-NEXT: %[[N2:.+]] = r1.rms_norm %[[H]]
// CHECK-NEXT: return %[[N1]], %[[N2]]
func.func @two_norms(%x: tensor<?x8xf32>, %d: tensor<?x8xf32>, %w: !r1.weight<8xbf16>, %v: !r1.weight<8xbf16>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %h = r1.add %x, %d : tensor<?x8xf32>
  %n1 = r1.rms_norm %h, %w eps 1.0e-6 : tensor<?x8xf32>, !r1.weight<8xbf16>
  %n2 = r1.rms_norm %h, %v eps 1.0e-6 : tensor<?x8xf32>, !r1.weight<8xbf16>
  return %n1, %n2 : tensor<?x8xf32>, tensor<?x8xf32>
}
