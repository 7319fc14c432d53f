// RUN: r1c-opt %s --split-input-file --r1-drop-mtp | FileCheck %s

// @mtp goes, @forward stops returning the hidden state that fed it, and the
// weights only @mtp used go with it; weights @forward uses stay.

// CHECK-LABEL: module
// CHECK: r1.weight @embed
// CHECK: r1.weight @norm
// CHECK-NOT: r1.weight @mtp_norm
// CHECK-NOT: r1.weight @eh_proj
// CHECK: func.func @forward(%{{.+}}: tensor<?xi32>, %{{.+}}: tensor<?xi32>) -> tensor<?x8xf32>
// CHECK: %[[LOGITS:.+]] = r1.linear
// CHECK-NEXT: return %[[LOGITS]] : tensor<?x8xf32>
// CHECK-NOT: func.func @mtp
r1.weight @embed : !r1.weight<8x4xbf16> = "model.embed_tokens.weight"
r1.weight @norm : !r1.weight<4xbf16> = "model.norm.weight"
r1.weight @mtp_norm : !r1.weight<4xbf16> = "model.layers.1.enorm.weight"
r1.weight @eh_proj : !r1.weight<4x8xbf16> = "model.layers.1.eh_proj.weight"
func.func @forward(%tokens: tensor<?xi32>, %positions: tensor<?xi32>) -> (tensor<?x8xf32>, tensor<?x4xf32>) {
  %e = r1.weight.get @embed : !r1.weight<8x4xbf16>
  %x = r1.embed %tokens, %e : (tensor<?xi32>, !r1.weight<8x4xbf16>) -> tensor<?x4xf32>
  %n = r1.weight.get @norm : !r1.weight<4xbf16>
  %h = r1.rms_norm %x, %n eps 1.0e-6 : tensor<?x4xf32>, !r1.weight<4xbf16>
  %logits = r1.linear %h, %e : tensor<?x4xf32>, !r1.weight<8x4xbf16> -> tensor<?x8xf32>
  return %logits, %x : tensor<?x8xf32>, tensor<?x4xf32>
}
func.func @mtp(%hidden: tensor<?x4xf32>, %tokens: tensor<?xi32>, %positions: tensor<?xi32>) -> tensor<?x8xf32> {
  %e = r1.weight.get @embed : !r1.weight<8x4xbf16>
  %x = r1.embed %tokens, %e : (tensor<?xi32>, !r1.weight<8x4xbf16>) -> tensor<?x4xf32>
  %n = r1.weight.get @mtp_norm : !r1.weight<4xbf16>
  %h = r1.rms_norm %x, %n eps 1.0e-6 : tensor<?x4xf32>, !r1.weight<4xbf16>
  %c = r1.concat %h, %hidden : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
  %w = r1.weight.get @eh_proj : !r1.weight<4x8xbf16>
  %y = r1.linear %c, %w : tensor<?x8xf32>, !r1.weight<4x8xbf16> -> tensor<?x4xf32>
  %logits = r1.linear %y, %e : tensor<?x4xf32>, !r1.weight<8x4xbf16> -> tensor<?x8xf32>
  return %logits : tensor<?x8xf32>
}

// -----

// Without @mtp the module is left alone, unused weights included.
// CHECK-LABEL: module
// CHECK: r1.weight @unused
// CHECK: func.func @forward(%{{.+}}: tensor<?xi32>) -> tensor<?x4xf32>
r1.weight @unused : !r1.weight<4xbf16> = "unused"
r1.weight @embed : !r1.weight<8x4xbf16> = "model.embed_tokens.weight"
func.func @forward(%tokens: tensor<?xi32>) -> tensor<?x4xf32> {
  %e = r1.weight.get @embed : !r1.weight<8x4xbf16>
  %x = r1.embed %tokens, %e : (tensor<?xi32>, !r1.weight<8x4xbf16>) -> tensor<?x4xf32>
  return %x : tensor<?x4xf32>
}
