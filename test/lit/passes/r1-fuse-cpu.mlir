// RUN: r1c-opt %s --r1-fuse-cpu | FileCheck %s

// The whole pipeline on one decoder layer written as the importer writes it
// (weights read right before use). The order of the passes shows: gate and
// up become a gated_linear (not a two-weight fused_linear), Q/K/V fuse, the
// residual adds go into the norms after them, and the input norm, which
// follows no add, goes into the fused Q/K/V.

r1.weight @embed : !r1.weight<32x8xbf16> = "model.embed_tokens.weight"
r1.weight @ln0 : !r1.weight<8xbf16> = "model.layers.0.input_layernorm.weight"
r1.weight @q : !r1.weight<8x8xbf16> = "model.layers.0.self_attn.q_proj.weight"
r1.weight @k : !r1.weight<4x8xbf16> = "model.layers.0.self_attn.k_proj.weight"
r1.weight @v : !r1.weight<4x8xbf16> = "model.layers.0.self_attn.v_proj.weight"
r1.weight @o : !r1.weight<8x8xbf16> = "model.layers.0.self_attn.o_proj.weight"
r1.weight @ln1 : !r1.weight<8xbf16> = "model.layers.0.post_attention_layernorm.weight"
r1.weight @gate : !r1.weight<16x8xbf16> = "model.layers.0.mlp.gate_proj.weight"
r1.weight @up : !r1.weight<16x8xbf16> = "model.layers.0.mlp.up_proj.weight"
r1.weight @down : !r1.weight<8x16xbf16> = "model.layers.0.mlp.down_proj.weight"
r1.weight @norm : !r1.weight<8xbf16> = "model.norm.weight"

// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[TOK:[^:]+]]: tensor<?xi32>, %[[POS:[^:]+]]: tensor<?xi32>)
// CHECK: %[[X:.+]] = r1.embed %[[TOK]]
// CHECK-DAG: %[[LN0:.+]] = r1.weight.get @ln0
// CHECK-DAG: %[[WQ:.+]] = r1.weight.get @q
// CHECK-DAG: %[[WK:.+]] = r1.weight.get @k
// CHECK-DAG: %[[WV:.+]] = r1.weight.get @v
// CHECK: %[[QKV:.+]]:3 = r1.fused_linear %[[X]] norm(%[[LN0]] eps 9.9999999999999995E-7) weights(%[[WQ]], %[[WK]], %[[WV]])
// CHECK: %[[Q:.+]] = r1.reshape %[[QKV]]#0
// CHECK: %[[K:.+]] = r1.reshape %[[QKV]]#1
// CHECK: %[[V:.+]] = r1.reshape %[[QKV]]#2
// CHECK: %[[A:.+]] = r1.attention %[[Q]], %[[K]], %[[V]], %[[POS]]
// CHECK: %[[A2:.+]] = r1.reshape %[[A]]
// CHECK: %[[O:.+]] = r1.linear %[[A2]]
// CHECK: %[[LN1:.+]] = r1.weight.get @ln1
// CHECK-NEXT: %[[H:.+]], %[[N:.+]] = r1.add_rms_norm %[[X]], %[[O]], %[[LN1]]
// CHECK-DAG: %[[WG:.+]] = r1.weight.get @gate
// CHECK-DAG: %[[WU:.+]] = r1.weight.get @up
// CHECK: %[[M:.+]] = r1.gated_linear %[[N]] gate %[[WG]] up %[[WU]]
// CHECK: %[[D:.+]] = r1.linear %[[M]]
// CHECK: %[[NW:.+]] = r1.weight.get @norm
// CHECK-NEXT: %[[HF:.+]], %[[NF:.+]] = r1.add_rms_norm %[[H]], %[[D]], %[[NW]]
// CHECK: %[[LOGITS:.+]] = r1.linear %[[NF]]
// CHECK-NEXT: return %[[LOGITS]], %[[HF]]
func.func @forward(%tokens: tensor<?xi32>, %positions: tensor<?xi32>) -> (tensor<?x32xf32>, tensor<?x8xf32>) {
  %e = r1.weight.get @embed : !r1.weight<32x8xbf16>
  %x = r1.embed %tokens, %e : (tensor<?xi32>, !r1.weight<32x8xbf16>) -> tensor<?x8xf32>
  %ln0 = r1.weight.get @ln0 : !r1.weight<8xbf16>
  %n0 = r1.rms_norm %x, %ln0 eps 1.0e-6 : tensor<?x8xf32>, !r1.weight<8xbf16>
  %wq = r1.weight.get @q : !r1.weight<8x8xbf16>
  %q = r1.linear %n0, %wq : tensor<?x8xf32>, !r1.weight<8x8xbf16> -> tensor<?x8xf32>
  %q3 = r1.reshape %q : tensor<?x8xf32> -> tensor<?x2x4xf32>
  %wk = r1.weight.get @k : !r1.weight<4x8xbf16>
  %k = r1.linear %n0, %wk : tensor<?x8xf32>, !r1.weight<4x8xbf16> -> tensor<?x4xf32>
  %k3 = r1.reshape %k : tensor<?x4xf32> -> tensor<?x1x4xf32>
  %wv = r1.weight.get @v : !r1.weight<4x8xbf16>
  %v = r1.linear %n0, %wv : tensor<?x8xf32>, !r1.weight<4x8xbf16> -> tensor<?x4xf32>
  %v3 = r1.reshape %v : tensor<?x4xf32> -> tensor<?x1x4xf32>
  %a = r1.attention %q3, %k3, %v3, %positions layer 0 scale 0.5 : (tensor<?x2x4xf32>, tensor<?x1x4xf32>, tensor<?x1x4xf32>, tensor<?xi32>) -> tensor<?x2x4xf32>
  %a2 = r1.reshape %a : tensor<?x2x4xf32> -> tensor<?x8xf32>
  %wo = r1.weight.get @o : !r1.weight<8x8xbf16>
  %o = r1.linear %a2, %wo : tensor<?x8xf32>, !r1.weight<8x8xbf16> -> tensor<?x8xf32>
  %h = r1.add %x, %o : tensor<?x8xf32>
  %ln1 = r1.weight.get @ln1 : !r1.weight<8xbf16>
  %n1 = r1.rms_norm %h, %ln1 eps 1.0e-6 : tensor<?x8xf32>, !r1.weight<8xbf16>
  %wg = r1.weight.get @gate : !r1.weight<16x8xbf16>
  %wu = r1.weight.get @up : !r1.weight<16x8xbf16>
  %wd = r1.weight.get @down : !r1.weight<8x16xbf16>
  %g = r1.linear %n1, %wg : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %s = r1.silu %g : tensor<?x16xf32>
  %u = r1.linear %n1, %wu : tensor<?x8xf32>, !r1.weight<16x8xbf16> -> tensor<?x16xf32>
  %m = r1.mul %s, %u : tensor<?x16xf32>
  %d = r1.linear %m, %wd : tensor<?x16xf32>, !r1.weight<8x16xbf16> -> tensor<?x8xf32>
  %h2 = r1.add %h, %d : tensor<?x8xf32>
  %nw = r1.weight.get @norm : !r1.weight<8xbf16>
  %nf = r1.rms_norm %h2, %nw eps 1.0e-6 : tensor<?x8xf32>, !r1.weight<8xbf16>
  %logits = r1.linear %nf, %e : tensor<?x8xf32>, !r1.weight<32x8xbf16> -> tensor<?x32xf32>
  return %logits, %h2 : tensor<?x32xf32>, tensor<?x8xf32>
}
