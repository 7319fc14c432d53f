// RUN: r1c-opt %s --split-input-file | r1c-opt --split-input-file | FileCheck %s
// RUN: r1c-opt %s --split-input-file --mlir-print-op-generic | r1c-opt --split-input-file | FileCheck %s

// Every r1 type, attribute and op survives printing and parsing, in both the
// custom and the generic form.

// CHECK-LABEL: r1.weight @embed : !r1.weight<1000x64xbf16> = "model.embed_tokens.weight"
r1.weight @embed : !r1.weight<1000x64xbf16> = "model.embed_tokens.weight"
// CHECK: r1.weight @norm : !r1.weight<64xbf16> = "model.norm.weight"
r1.weight @norm : !r1.weight<64xbf16, #r1.plain> = "model.norm.weight"
// CHECK: r1.weight @q_a : !r1.weight<96x64xf8E4M3FN, #r1.block_scaled<[128, 128]>> = "q_a.weight" scales "q_a.weight_scale_inv"
r1.weight @q_a : !r1.weight<96x64xf8E4M3FN, #r1.block_scaled<[128, 128]>> = "q_a.weight" scales "q_a.weight_scale_inv"
// CHECK: r1.weight @q_b : !r1.weight<192x96xf32> = "q_b.weight"
r1.weight @q_b : !r1.weight<192x96xf32> = "q_b.weight"
// CHECK: r1.weight @q_int4 : !r1.weight<192x96xi4, #r1.group_scaled<32, f16>> = "q_b.weight"
r1.weight @q_int4 : !r1.weight<192x96xi4, #r1.group_scaled<32, f16>> = "q_b.weight"
// CHECK: r1.weight @bias : !r1.weight<192xbf16> = "q_b.bias"
r1.weight @bias : !r1.weight<192xbf16> = "q_b.bias"
// CHECK: r1.weight @router : !r1.weight<8x64xbf16> = "gate.weight"
r1.weight @router : !r1.weight<8x64xbf16> = "gate.weight"
// CHECK: r1.weight @correction : !r1.weight<8xf32> = "gate.e_score_correction_bias"
r1.weight @correction : !r1.weight<8xf32> = "gate.e_score_correction_bias"
// CHECK: r1.weight @gate : !r1.weight<8x32x64xf8E4M3FN, #r1.block_scaled<[128, 128]>> = "experts.{expert}.gate_proj.weight" scales "experts.{expert}.gate_proj.weight_scale_inv"
r1.weight @gate : !r1.weight<8x32x64xf8E4M3FN, #r1.block_scaled<[128, 128]>> = "experts.{expert}.gate_proj.weight" scales "experts.{expert}.gate_proj.weight_scale_inv"
r1.weight @up : !r1.weight<8x32x64xbf16> = "experts.{expert}.up_proj.weight"
r1.weight @down : !r1.weight<8x64x32xbf16> = "experts.{expert}.down_proj.weight"

// CHECK-LABEL: func.func @primitives
func.func @primitives(%tokens: tensor<?xi32>, %positions: tensor<?xi32>) -> tensor<?x64xf32> {
  // CHECK: %[[E:.+]] = r1.weight.get @embed : !r1.weight<1000x64xbf16>
  %e = r1.weight.get @embed : !r1.weight<1000x64xbf16>
  // CHECK: %[[X:.+]] = r1.embed %{{.+}}, %[[E]] : (tensor<?xi32>, !r1.weight<1000x64xbf16>) -> tensor<?x64xf32>
  %x = r1.embed %tokens, %e : (tensor<?xi32>, !r1.weight<1000x64xbf16>) -> tensor<?x64xf32>
  %nw = r1.weight.get @norm : !r1.weight<64xbf16>
  // CHECK: r1.rms_norm %[[X]], %{{.+}} eps 9.9999999999999995E-7 : tensor<?x64xf32>, !r1.weight<64xbf16>
  %h = r1.rms_norm %x, %nw eps 1.0e-6 : tensor<?x64xf32>, !r1.weight<64xbf16>
  %qa = r1.weight.get @q_a : !r1.weight<96x64xf8E4M3FN, #r1.block_scaled<[128, 128]>>
  // CHECK: r1.linear %{{.+}}, %{{.+}} : tensor<?x64xf32>, !r1.weight<96x64xf8E4M3FN, #r1.block_scaled<[128, 128]>> -> tensor<?x96xf32>
  %a = r1.linear %h, %qa : tensor<?x64xf32>, !r1.weight<96x64xf8E4M3FN, #r1.block_scaled<[128, 128]>> -> tensor<?x96xf32>
  %qb = r1.weight.get @q_b : !r1.weight<192x96xf32>
  %b = r1.weight.get @bias : !r1.weight<192xbf16>
  // CHECK: r1.linear %{{.+}}, %{{.+}} bias %{{.+}} : tensor<?x96xf32>, !r1.weight<192x96xf32>, !r1.weight<192xbf16> -> tensor<?x192xf32>
  %q = r1.linear %a, %qb bias %b : tensor<?x96xf32>, !r1.weight<192x96xf32>, !r1.weight<192xbf16> -> tensor<?x192xf32>
  // CHECK: r1.reshape %{{.+}} : tensor<?x192xf32> -> tensor<?x4x48xf32>
  %q3 = r1.reshape %q : tensor<?x192xf32> -> tensor<?x4x48xf32>
  // CHECK: r1.slice %{{.+}} offset 0 size 32 : tensor<?x4x48xf32> -> tensor<?x4x32xf32>
  %nope = r1.slice %q3 offset 0 size 32 : tensor<?x4x48xf32> -> tensor<?x4x32xf32>
  %pe = r1.slice %q3 offset 32 size 16 : tensor<?x4x48xf32> -> tensor<?x4x16xf32>
  // CHECK: r1.rope %{{.+}}, %{{.+}} interleaved theta 1.000000e+04 scaling(#r1.yarn<factor = 4.000000e+01, original_max_positions = 4096, beta_fast = 3.200000e+01, beta_slow = 1.000000e+00, mscale = 1.000000e+00, mscale_all_dim = 1.000000e+00>) : tensor<?x4x16xf32>, tensor<?xi32>
  %pe_r = r1.rope %pe, %positions interleaved theta 1.0e4 scaling(#r1.yarn<factor = 40.0, original_max_positions = 4096, beta_fast = 32.0, beta_slow = 1.0, mscale = 1.0, mscale_all_dim = 1.0>) : tensor<?x4x16xf32>, tensor<?xi32>
  // CHECK: r1.rope %{{.+}}, %{{.+}} half theta 5.000000e+05 scaling(#r1.llama3<factor = 8.000000e+00, low_freq_factor = 1.000000e+00, high_freq_factor = 4.000000e+00, original_max_positions = 8192>)
  %pe_h = r1.rope %pe_r, %positions half theta 5.0e5 scaling(#r1.llama3<factor = 8.0, low_freq_factor = 1.0, high_freq_factor = 4.0, original_max_positions = 8192>) : tensor<?x4x16xf32>, tensor<?xi32>
  // CHECK: r1.rope %{{.+}}, %{{.+}} half theta 1.000000e+04 : tensor<?x4x16xf32>, tensor<?xi32>
  %pe_p = r1.rope %pe_h, %positions half theta 1.0e4 : tensor<?x4x16xf32>, tensor<?xi32>
  // CHECK: r1.concat %{{.+}}, %{{.+}} : (tensor<?x4x32xf32>, tensor<?x4x16xf32>) -> tensor<?x4x48xf32>
  %qc = r1.concat %nope, %pe_p : (tensor<?x4x32xf32>, tensor<?x4x16xf32>) -> tensor<?x4x48xf32>
  %k1 = r1.slice %qc offset 0 size 48 : tensor<?x4x48xf32> -> tensor<?x4x48xf32>
  %kpe = r1.slice %x offset 0 size 16 : tensor<?x64xf32> -> tensor<?x16xf32>
  %kpe3 = r1.reshape %kpe : tensor<?x16xf32> -> tensor<?x1x16xf32>
  // CHECK: r1.broadcast %{{.+}} : tensor<?x1x16xf32> -> tensor<?x4x16xf32>
  %kpeb = r1.broadcast %kpe3 : tensor<?x1x16xf32> -> tensor<?x4x16xf32>
  %v = r1.concat %kpeb, %kpeb : (tensor<?x4x16xf32>, tensor<?x4x16xf32>) -> tensor<?x4x32xf32>
  // CHECK: r1.attention %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} layer 0 scale 1.250000e-01 : (tensor<?x4x48xf32>, tensor<?x4x48xf32>, tensor<?x4x32xf32>, tensor<?xi32>) -> tensor<?x4x32xf32>
  %o = r1.attention %qc, %k1, %v, %positions layer 0 scale 0.125 : (tensor<?x4x48xf32>, tensor<?x4x48xf32>, tensor<?x4x32xf32>, tensor<?xi32>) -> tensor<?x4x32xf32>
  %o2 = r1.reshape %o : tensor<?x4x32xf32> -> tensor<?x128xf32>
  %o3 = r1.slice %o2 offset 0 size 64 : tensor<?x128xf32> -> tensor<?x64xf32>
  // CHECK: r1.add %{{.+}}, %{{.+}} : tensor<?x64xf32>
  %r = r1.add %x, %o3 : tensor<?x64xf32>
  // CHECK: r1.silu %{{.+}} : tensor<?x64xf32>
  %s = r1.silu %r : tensor<?x64xf32>
  // CHECK: r1.mul %{{.+}}, %{{.+}} : tensor<?x64xf32>
  %m = r1.mul %s, %r : tensor<?x64xf32>
  return %m : tensor<?x64xf32>
}

// CHECK-LABEL: func.func @moe
func.func @moe(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %router = r1.weight.get @router : !r1.weight<8x64xbf16>
  %logits = r1.linear %x, %router : tensor<?x64xf32>, !r1.weight<8x64xbf16> -> tensor<?x8xf32>
  // CHECK: r1.sigmoid %{{.+}} : tensor<?x8xf32>
  %s = r1.sigmoid %logits : tensor<?x8xf32>
  // CHECK: r1.softmax %{{.+}} : tensor<?x8xf32>
  %p = r1.softmax %logits : tensor<?x8xf32>
  %bias = r1.weight.get @correction : !r1.weight<8xf32>
  // CHECK: r1.moe.topk %{{.+}} bias %{{.+}} {group_score = #r1.group_score<top2_sum>, normalize = true, num_groups = 4 : i64, scaling_factor = 2.500000e+00 : f64, top_k = 2 : i64, topk_groups = 2 : i64} : tensor<?x8xf32>, !r1.weight<8xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  %ids, %w = r1.moe.topk %s bias %bias {top_k = 2, num_groups = 4, topk_groups = 2, group_score = #r1.group_score<top2_sum>, normalize = true, scaling_factor = 2.5} : tensor<?x8xf32>, !r1.weight<8xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  // CHECK: r1.moe.topk %{{.+}} {group_score = #r1.group_score<none>
  %ids2, %w2 = r1.moe.topk %p {top_k = 2, num_groups = 1, topk_groups = 1, group_score = #r1.group_score<none>, normalize = false, scaling_factor = 1.0} : tensor<?x8xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  %g = r1.weight.get @gate : !r1.weight<8x32x64xf8E4M3FN, #r1.block_scaled<[128, 128]>>
  %u = r1.weight.get @up : !r1.weight<8x32x64xbf16>
  %d = r1.weight.get @down : !r1.weight<8x64x32xbf16>
  // CHECK: r1.moe.experts %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} : (tensor<?x64xf32>, tensor<?x2xi32>, tensor<?x2xf32>, !r1.weight<8x32x64xf8E4M3FN, #r1.block_scaled<[128, 128]>>, !r1.weight<8x32x64xbf16>, !r1.weight<8x64x32xbf16>) -> tensor<?x64xf32>
  %y = r1.moe.experts %x, %ids, %w, %g, %u, %d : (tensor<?x64xf32>, tensor<?x2xi32>, tensor<?x2xf32>, !r1.weight<8x32x64xf8E4M3FN, #r1.block_scaled<[128, 128]>>, !r1.weight<8x32x64xbf16>, !r1.weight<8x64x32xbf16>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A module-level model summary.
// CHECK: r1.model = #r1.model<architecture = "deepseek_v3", vocab_size = 1000, hidden_size = 64, num_layers = 1, num_mtp_layers = 0, max_positions = 4096, bos = 0, eos = [1, 2]>
module attributes {r1.model = #r1.model<architecture = "deepseek_v3", vocab_size = 1000, hidden_size = 64, num_layers = 1, num_mtp_layers = 0, max_positions = 4096, bos = 0, eos = [1, 2]>} {
}

// -----

// The fused forms the r1-fuse-* passes create.
// CHECK-LABEL: func.func @fused
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x8xf32>, %[[D:[^:]+]]: tensor<?x8xf32>, %[[G:[^:]+]]: !r1.weight<8xbf16>, %[[WQ:[^:]+]]: !r1.weight<16x8xbf16>, %[[WK:[^:]+]]: !r1.weight<4x8xbf16>, %[[BQ:[^:]+]]: !r1.weight<16xbf16>, %[[BK:[^:]+]]: !r1.weight<4xbf16>, %[[F8:[^:]+]]: !r1.weight<6x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>, %[[WG:[^:]+]]: !r1.weight<12x8xbf16>, %[[WU:[^:]+]]: !r1.weight<12x8xbf16>)
func.func @fused(%x: tensor<?x8xf32>, %d: tensor<?x8xf32>, %g: !r1.weight<8xbf16>,
                 %wq: !r1.weight<16x8xbf16>, %wk: !r1.weight<4x8xbf16>,
                 %bq: !r1.weight<16xbf16>, %bk: !r1.weight<4xbf16>,
                 %f8: !r1.weight<6x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>,
                 %wg: !r1.weight<12x8xbf16>, %wu: !r1.weight<12x8xbf16>) {
  // CHECK: %[[S:.+]], %[[N:.+]] = r1.add_rms_norm %[[X]], %[[D]], %[[G]] eps 9.9999999999999995E-7 : tensor<?x8xf32>, !r1.weight<8xbf16>
  %s, %n = r1.add_rms_norm %x, %d, %g eps 1.0e-6 : tensor<?x8xf32>, !r1.weight<8xbf16>
  // CHECK: r1.fused_linear %[[S]] norm(%[[G]] eps 1.000000e-05) weights(%[[WQ]], %[[WK]]) biases(%[[BQ]], %[[BK]]) : (tensor<?x8xf32>, !r1.weight<8xbf16>, !r1.weight<16x8xbf16>, !r1.weight<4x8xbf16>, !r1.weight<16xbf16>, !r1.weight<4xbf16>) -> (tensor<?x16xf32>, tensor<?x4xf32>)
  %q, %k = r1.fused_linear %s norm(%g eps 1.0e-5) weights(%wq, %wk) biases(%bq, %bk) : (tensor<?x8xf32>, !r1.weight<8xbf16>, !r1.weight<16x8xbf16>, !r1.weight<4x8xbf16>, !r1.weight<16xbf16>, !r1.weight<4xbf16>) -> (tensor<?x16xf32>, tensor<?x4xf32>)
  // CHECK: r1.fused_linear %[[N]] weights(%[[WQ]], %[[WK]]) : (tensor<?x8xf32>, !r1.weight<16x8xbf16>, !r1.weight<4x8xbf16>) -> (tensor<?x16xf32>, tensor<?x4xf32>)
  %q2, %k2 = r1.fused_linear %n weights(%wq, %wk) : (tensor<?x8xf32>, !r1.weight<16x8xbf16>, !r1.weight<4x8xbf16>) -> (tensor<?x16xf32>, tensor<?x4xf32>)
  // CHECK: r1.fused_linear %[[X]] weights(%[[F8]]) : (tensor<?x8xf32>, !r1.weight<6x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>) -> tensor<?x6xf32>
  %a = r1.fused_linear %x weights(%f8) : (tensor<?x8xf32>, !r1.weight<6x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>) -> tensor<?x6xf32>
  // CHECK: r1.gated_linear %[[X]] norm(%[[G]] eps 9.9999999999999995E-7) gate %[[WG]] up %[[WU]] : (tensor<?x8xf32>, !r1.weight<8xbf16>, !r1.weight<12x8xbf16>, !r1.weight<12x8xbf16>) -> tensor<?x12xf32>
  %h = r1.gated_linear %x norm(%g eps 1.0e-6) gate %wg up %wu : (tensor<?x8xf32>, !r1.weight<8xbf16>, !r1.weight<12x8xbf16>, !r1.weight<12x8xbf16>) -> tensor<?x12xf32>
  // CHECK: r1.gated_linear %[[N]] gate %[[WG]] up %[[WU]] : (tensor<?x8xf32>, !r1.weight<12x8xbf16>, !r1.weight<12x8xbf16>) -> tensor<?x12xf32>
  %h2 = r1.gated_linear %n gate %wg up %wu : (tensor<?x8xf32>, !r1.weight<12x8xbf16>, !r1.weight<12x8xbf16>) -> tensor<?x12xf32>
  return
}

// -----

// The fused MoE router (r1-fuse-moe-routing): sigmoid with the correction
// bias (V3) and softmax without (V2); the gate may be in any layout.
// CHECK-LABEL: func.func @moe_route
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x128xf32>, %[[G:[^:]+]]: !r1.weight<16x128xbf16>, %[[B:[^:]+]]: !r1.weight<16xf32>, %[[F8:[^:]+]]: !r1.weight<16x128xf8E4M3FN, #r1.block_scaled<[128, 128]>>)
func.func @moe_route(%x: tensor<?x128xf32>, %g: !r1.weight<16x128xbf16>, %b: !r1.weight<16xf32>,
                     %f8: !r1.weight<16x128xf8E4M3FN, #r1.block_scaled<[128, 128]>>) {
  // CHECK: r1.moe.route %[[X]], %[[G]] bias %[[B]] sigmoid {group_score = #r1.group_score<top2_sum>, normalize = true, num_groups = 4 : i64, scaling_factor = 2.500000e+00 : f64, top_k = 4 : i64, topk_groups = 2 : i64} : tensor<?x128xf32>, !r1.weight<16x128xbf16>, !r1.weight<16xf32> -> tensor<?x4xi32>, tensor<?x4xf32>
  %ids, %w = r1.moe.route %x, %g bias %b sigmoid {top_k = 4, num_groups = 4, topk_groups = 2, group_score = #r1.group_score<top2_sum>, normalize = true, scaling_factor = 2.5} : tensor<?x128xf32>, !r1.weight<16x128xbf16>, !r1.weight<16xf32> -> tensor<?x4xi32>, tensor<?x4xf32>
  // CHECK: r1.moe.route %[[X]], %[[F8]] softmax {group_score = #r1.group_score<none>, normalize = false, num_groups = 1 : i64, scaling_factor = 1.000000e+00 : f64, top_k = 2 : i64, topk_groups = 1 : i64} : tensor<?x128xf32>, !r1.weight<16x128xf8E4M3FN, #r1.block_scaled<[128, 128]>> -> tensor<?x2xi32>, tensor<?x2xf32>
  %ids2, %w2 = r1.moe.route %x, %f8 softmax {top_k = 2, num_groups = 1, topk_groups = 1, group_score = #r1.group_score<none>, normalize = false, scaling_factor = 1.0} : tensor<?x128xf32>, !r1.weight<16x128xf8E4M3FN, #r1.block_scaled<[128, 128]>> -> tensor<?x2xi32>, tensor<?x2xf32>
  return
}

// -----

// MLA over the latent cache (r1-fuse-mla), W8A8's activation quantization
// and the experts' quantize_activations (r1-select-weight-layout).
// CHECK-LABEL: func.func @mla_w8a8
// CHECK: r1.mla %arg0, %arg1, %arg2, %arg3, %arg4 layer 2 scale 2.500000e-01 prefill materialized decode absorbed : (tensor<?x4x48xf32>, tensor<?x64xf32>, tensor<?x1x16xf32>, tensor<?xi32>, !r1.weight<256x64xf8E4M3FN, #r1.block_scaled<[128, 128]>>) -> tensor<?x4x32xf32>
// CHECK: r1.mla {{.*}} prefill absorbed decode materialized
// CHECK: r1.quantize_f8 %arg1 block 128 : tensor<?x64xf32>
// CHECK: r1.moe.experts {{.*}} {quantize_activations}
func.func @mla_w8a8(%q: tensor<?x4x48xf32>, %latent: tensor<?x64xf32>, %k_pe: tensor<?x1x16xf32>, %positions: tensor<?xi32>,
                    %kv_b: !r1.weight<256x64xf8E4M3FN, #r1.block_scaled<[128, 128]>>, %ids: tensor<?x2xi32>, %w: tensor<?x2xf32>,
                    %g: !r1.weight<4x32x64xbf16>, %u: !r1.weight<4x32x64xbf16>, %d: !r1.weight<4x64x32xbf16>) {
  %o = r1.mla %q, %latent, %k_pe, %positions, %kv_b layer 2 scale 0.25 prefill materialized decode absorbed : (tensor<?x4x48xf32>, tensor<?x64xf32>, tensor<?x1x16xf32>, tensor<?xi32>, !r1.weight<256x64xf8E4M3FN, #r1.block_scaled<[128, 128]>>) -> tensor<?x4x32xf32>
  %o2 = r1.mla %q, %latent, %k_pe, %positions, %kv_b layer 3 scale 0.25 prefill absorbed decode materialized : (tensor<?x4x48xf32>, tensor<?x64xf32>, tensor<?x1x16xf32>, tensor<?xi32>, !r1.weight<256x64xf8E4M3FN, #r1.block_scaled<[128, 128]>>) -> tensor<?x4x32xf32>
  %xq = r1.quantize_f8 %latent block 128 : tensor<?x64xf32>
  %e = r1.moe.experts %xq, %ids, %w, %g, %u, %d {quantize_activations} : (tensor<?x64xf32>, tensor<?x2xi32>, tensor<?x2xf32>, !r1.weight<4x32x64xbf16>, !r1.weight<4x32x64xbf16>, !r1.weight<4x64x32xbf16>) -> tensor<?x64xf32>
  return
}
