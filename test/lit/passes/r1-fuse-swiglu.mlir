// RUN: r1c-opt %s --split-input-file --r1-fuse-swiglu | FileCheck %s

// The SwiGLU half of an MLP becomes one r1.gated_linear; the down
// projection stays an r1.linear.

// CHECK-LABEL: func.func @mlp
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x8xf32>, %[[WG:[^:]+]]: !r1.weight<16x8xbf16>, %[[WU:[^:]+]]: !r1.weight<16x8xbf16>, %[[WD:[^:]+]]: !r1.weight<8x16xbf16>)
// CHECK-NEXT: %[[H:.+]] = r1.gated_linear %[[X]] gate %[[WG]] up %[[WU]] : (tensor<?x8xf32>, !r1.weight<16x8xbf16>, !r1.weight<16x8xbf16>) -> tensor<?x16xf32>
// CHECK-NEXT: %[[Y:.+]] = r1.linear %[[H]], %[[WD]]
// CHECK-NEXT: return %[[Y]]
func.func @mlp(%x: tensor<?x8xf32>, %wg: !r1.weight<16x8xbf16>, %wu: !r1.weight<16x8xbf16>, %wd: !r1.weight<8x16xbf16>) -> tensor<?x8xf32> {
  %g = r1.linear %x, %wg : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %s = r1.silu %g : tensor<?x16xf32>
  %u = r1.linear %x, %wu : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %h = r1.mul %s, %u : tensor<?x16xf32>
  %y = r1.linear %h, %wd : tensor<?x16xf32>, !r1.weight<8x16xbf16> -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// The mul's operands in the other order: silu(gate) is still the gate.
// CHECK-LABEL: func.func @mlp$swapped
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x8xf32>, %[[WG:[^:]+]]: !r1.weight<16x8xbf16>, %[[WU:[^:]+]]: !r1.weight<16x8xbf16>)
// CHECK-NEXT: %[[H:.+]] = r1.gated_linear %[[X]] gate %[[WG]] up %[[WU]]
// CHECK-NEXT: return %[[H]]
func.func @mlp$swapped(%x: tensor<?x8xf32>, %wg: !r1.weight<16x8xbf16>, %wu: !r1.weight<16x8xbf16>) -> tensor<?x16xf32> {
  %u = r1.linear %x, %wu : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %g = r1.linear %x, %wg : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %s = r1.silu %g : tensor<?x16xf32>
  %h = r1.mul %u, %s : tensor<?x16xf32>
  return %h : tensor<?x16xf32>
}

// -----

// FP8 block-scaled weights (DeepSeek's shared experts) fuse as well: the
// layout travels with the weight type.
// CHECK-LABEL: func.func @mlp$fp8
// CHECK: r1.gated_linear %{{.+}} gate %{{.+}} up %{{.+}} : (tensor<?x8xf32>, !r1.weight<16x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>, !r1.weight<16x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>) -> tensor<?x16xf32>
// CHECK-NOT: r1.silu
func.func @mlp$fp8(%x: tensor<?x8xf32>, %wg: !r1.weight<16x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>, %wu: !r1.weight<16x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>) -> tensor<?x16xf32> {
  %g = r1.linear %x, %wg : tensor<?x8xf32>, !r1.weight<16x8xf8E4M3FN, #r1.block_scaled<[128, 128]>> -> tensor<?x16xf32>
  %s = r1.silu %g : tensor<?x16xf32>
  %u = r1.linear %x, %wu : tensor<?x8xf32>, !r1.weight<16x8xf8E4M3FN, #r1.block_scaled<[128, 128]>> -> tensor<?x16xf32>
  %h = r1.mul %s, %u : tensor<?x16xf32>
  return %h : tensor<?x16xf32>
}

// -----

// A bias on either projection: left alone.
// CHECK-LABEL: func.func @mlp$bias
// CHECK-NOT: r1.gated_linear
// CHECK: r1.silu
// CHECK: r1.mul
func.func @mlp$bias(%x: tensor<?x8xf32>, %wg: !r1.weight<16x8xbf16>, %wu: !r1.weight<16x8xbf16>, %b: !r1.weight<16xbf16>) -> tensor<?x16xf32> {
  %g = r1.linear %x, %wg : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %s = r1.silu %g : tensor<?x16xf32>
  %u = r1.linear %x, %wu bias %b : tensor<?x8xf32>, !r1.weight<16x8xbf16>, !r1.weight<16xbf16> -> tensor<?x16xf32>
  %h = r1.mul %s, %u : tensor<?x16xf32>
  return %h : tensor<?x16xf32>
}

// -----

// Gate and up weights of different element types or layouts: left alone.
// CHECK-LABEL: func.func @mlp$mixed_dtypes
// CHECK-NOT: r1.gated_linear
// CHECK: r1.mul
func.func @mlp$mixed_dtypes(%x: tensor<?x8xf32>, %wg: !r1.weight<16x8xbf16>, %wu: !r1.weight<16x8xf32>) -> tensor<?x16xf32> {
  %g = r1.linear %x, %wg : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %s = r1.silu %g : tensor<?x16xf32>
  %u = r1.linear %x, %wu : tensor<?x8xf32>, !r1.weight<16x8xf32> -> tensor<?x16xf32>
  %h = r1.mul %s, %u : tensor<?x16xf32>
  return %h : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @mlp$mixed_layouts
// CHECK-NOT: r1.gated_linear
// CHECK: r1.mul
func.func @mlp$mixed_layouts(%x: tensor<?x8xf32>, %wg: !r1.weight<16x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>, %wu: !r1.weight<16x8xf8E4M3FN, #r1.block_scaled<[64, 64]>>) -> tensor<?x16xf32> {
  %g = r1.linear %x, %wg : tensor<?x8xf32>, !r1.weight<16x8xf8E4M3FN, #r1.block_scaled<[128, 128]>> -> tensor<?x16xf32>
  %s = r1.silu %g : tensor<?x16xf32>
  %u = r1.linear %x, %wu : tensor<?x8xf32>, !r1.weight<16x8xf8E4M3FN, #r1.block_scaled<[64, 64]>> -> tensor<?x16xf32>
  %h = r1.mul %s, %u : tensor<?x16xf32>
  return %h : tensor<?x16xf32>
}

// -----

// The projections read different inputs: left alone.
// CHECK-LABEL: func.func @mlp$two_inputs
// CHECK-NOT: r1.gated_linear
// CHECK: r1.mul
func.func @mlp$two_inputs(%x: tensor<?x8xf32>, %y: tensor<?x8xf32>, %wg: !r1.weight<16x8xbf16>, %wu: !r1.weight<16x8xbf16>) -> tensor<?x16xf32> {
  %g = r1.linear %x, %wg : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %s = r1.silu %g : tensor<?x16xf32>
  %u = r1.linear %y, %wu : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %h = r1.mul %s, %u : tensor<?x16xf32>
  return %h : tensor<?x16xf32>
}

// -----

// An intermediate used elsewhere (the gate projection, its silu, the up
// projection) must stay: nothing is fused.
// CHECK-LABEL: func.func @mlp$gate_used
// CHECK-NOT: r1.gated_linear
// CHECK: r1.mul
func.func @mlp$gate_used(%x: tensor<?x8xf32>, %wg: !r1.weight<16x8xbf16>, %wu: !r1.weight<16x8xbf16>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %g = r1.linear %x, %wg : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %s = r1.silu %g : tensor<?x16xf32>
  %u = r1.linear %x, %wu : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %h = r1.mul %s, %u : tensor<?x16xf32>
  return %h, %g : tensor<?x16xf32>, tensor<?x16xf32>
}

// CHECK-LABEL: func.func @mlp$silu_used
// CHECK-NOT: r1.gated_linear
// CHECK: r1.mul
func.func @mlp$silu_used(%x: tensor<?x8xf32>, %wg: !r1.weight<16x8xbf16>, %wu: !r1.weight<16x8xbf16>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %g = r1.linear %x, %wg : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %s = r1.silu %g : tensor<?x16xf32>
  %u = r1.linear %x, %wu : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %h = r1.mul %s, %u : tensor<?x16xf32>
  return %h, %s : tensor<?x16xf32>, tensor<?x16xf32>
}

// CHECK-LABEL: func.func @mlp$up_used
// CHECK-NOT: r1.gated_linear
// CHECK: r1.mul
func.func @mlp$up_used(%x: tensor<?x8xf32>, %wg: !r1.weight<16x8xbf16>, %wu: !r1.weight<16x8xbf16>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %g = r1.linear %x, %wg : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %s = r1.silu %g : tensor<?x16xf32>
  %u = r1.linear %x, %wu : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %h = r1.mul %s, %u : tensor<?x16xf32>
  return %h, %u : tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// silu(g) * silu(g'), and silu(g) * g: no up projection, nothing to fuse.
// CHECK-LABEL: func.func @not_swiglu
// CHECK-NOT: r1.gated_linear
// CHECK: r1.mul
// CHECK: r1.mul
func.func @not_swiglu(%x: tensor<?x8xf32>, %wg: !r1.weight<16x8xbf16>, %wu: !r1.weight<16x8xbf16>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %g = r1.linear %x, %wg : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %s = r1.silu %g : tensor<?x16xf32>
  %u = r1.linear %x, %wu : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %su = r1.silu %u : tensor<?x16xf32>
  %h = r1.mul %s, %su : tensor<?x16xf32>
  %g2 = r1.linear %x, %wg : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %s2 = r1.silu %g2 : tensor<?x16xf32>
  %h2 = r1.mul %s2, %s2 : tensor<?x16xf32>
  return %h, %h2 : tensor<?x16xf32>, tensor<?x16xf32>
}
