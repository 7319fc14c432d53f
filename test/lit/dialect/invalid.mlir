// RUN: r1c-opt %s --split-input-file --verify-diagnostics

// Each case breaks one invariant of the r1 dialect; the verifier must say
// which, in words an engineer can act on.

// expected-error @+1 {{plain layout stores bf16, f16, f32 or (packed) f8E4M3FN elements, not 'i8'}}
r1.weight @w : !r1.weight<4x4xi8> = "w"

// -----

// expected-error @+1 {{weight dimensions must be static and positive}}
r1.weight @w : !r1.weight<0x4xbf16> = "w"

// -----

// expected-error @+1 {{block_scaled layout stores FP8 (f8E4M3FN or f8E5M2) elements, not 'bf16'}}
r1.weight @w : !r1.weight<4x4xbf16, #r1.block_scaled<[128, 128]>> = "w" scales "s"

// -----

// expected-error @+1 {{block_scaled layout needs a 2-d block (rows, columns), got 1 dimension(s)}}
r1.weight @w : !r1.weight<4x4xf8E4M3FN, #r1.block_scaled<[128]>> = "w" scales "s"

// -----

// expected-error @+1 {{block_scaled block sizes must be positive}}
r1.weight @w : !r1.weight<4x4xf8E4M3FN, #r1.block_scaled<[0, 128]>> = "w" scales "s"

// -----

// expected-error @+1 {{block_scaled layout with a 2-d block needs a weight of rank >= 2, got rank 1}}
r1.weight @w : !r1.weight<4xf8E4M3FN, #r1.block_scaled<[128, 128]>> = "w" scales "s"

// -----

// expected-error @+1 {{'r1.weight' op with a block_scaled layout needs a scale source}}
r1.weight @w : !r1.weight<4x4xf8E4M3FN, #r1.block_scaled<[128, 128]>> = "w"

// -----

// expected-error @+1 {{'r1.weight' op has a scale source but its layout #r1.plain has no scales}}
r1.weight @w : !r1.weight<4x4xbf16> = "w" scales "s"

// -----

// expected-error @+1 {{group_scaled layout needs the last dimension (48) to be a multiple of the group size (32)}}
r1.weight @w : !r1.weight<4x48xi4, #r1.group_scaled<32, f16>> = "w"

// -----

// expected-error @+1 {{group_scaled scales are bf16, f16 or f32, not 'i8'}}
r1.weight @w : !r1.weight<4x64xi4, #r1.group_scaled<32, i8>> = "w"

// -----

// expected-error @+1 {{group_scaled layout stores i4 or i8 elements, not 'bf16'}}
r1.weight @w : !r1.weight<4x64xbf16, #r1.group_scaled<32, f16>> = "w"

// -----

// expected-error @+1 {{'r1.weight' op stacks experts along dimension 0 (source has '{expert}') and so needs rank >= 2}}
r1.weight @w : !r1.weight<4xbf16> = "experts.{expert}.w"

// -----

// expected-error @+1 {{source and scale source must both or neither contain '{expert}'}}
r1.weight @w : !r1.weight<2x4x4xf8E4M3FN, #r1.block_scaled<[128, 128]>> = "experts.{expert}.w" scales "s"

// -----

// expected-error @+1 {{expected a weight layout attribute}}
r1.weight @w : !r1.weight<4x4xbf16, #r1.group_score<max>> = "w"

// -----

r1.weight @w : !r1.weight<4x4xbf16> = "w"
func.func @f() {
  // expected-error @+1 {{result type '!r1.weight<4x8xbf16>' does not match the type '!r1.weight<4x4xbf16>' of weight 'w'}}
  %w = r1.weight.get @w : !r1.weight<4x8xbf16>
  return
}

// -----

func.func @f() {
  // expected-error @+1 {{refers to 'missing', which is not an r1.weight}}
  %w = r1.weight.get @missing : !r1.weight<4x8xbf16>
  return
}

// -----

func.func @f(%t: tensor<?xi32>, %e: !r1.weight<100x16xbf16>) {
  // expected-error @+1 {{result must be [tokens, 16]}}
  %x = r1.embed %t, %e : (tensor<?xi32>, !r1.weight<100x16xbf16>) -> tensor<?x32xf32>
  return
}

// -----

func.func @f(%t: tensor<4xi32>, %e: !r1.weight<100x16xbf16>) {
  // expected-error @+1 {{result has 5 tokens but the input has 4}}
  %x = r1.embed %t, %e : (tensor<4xi32>, !r1.weight<100x16xbf16>) -> tensor<5x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %w: !r1.weight<32xbf16>) {
  // expected-error @+1 {{weight must be [16] to match the last dimension of the input}}
  %y = r1.rms_norm %x, %w eps 1.0e-6 : tensor<?x16xf32>, !r1.weight<32xbf16>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %w: !r1.weight<16xbf16>) {
  // expected-error @+1 {{epsilon must be positive}}
  %y = r1.rms_norm %x, %w eps 0.0 : tensor<?x16xf32>, !r1.weight<16xbf16>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %w: !r1.weight<32x8xbf16>) {
  // expected-error @+1 {{input's last dimension 16 does not match the weight's input dimension 8}}
  %y = r1.linear %x, %w : tensor<?x16xf32>, !r1.weight<32x8xbf16> -> tensor<?x32xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %w: !r1.weight<32x16xbf16>) {
  // expected-error @+1 {{result must be the input's shape with the last dimension 32}}
  %y = r1.linear %x, %w : tensor<?x16xf32>, !r1.weight<32x16xbf16> -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %w: !r1.weight<32x16xbf16>, %b: !r1.weight<16xbf16>) {
  // expected-error @+1 {{bias must be [32]}}
  %y = r1.linear %x, %w bias %b : tensor<?x16xf32>, !r1.weight<32x16xbf16>, !r1.weight<16xbf16> -> tensor<?x32xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %w: !r1.weight<2x32x16xbf16>) {
  // expected-error @+1 {{weight must be [out, in]}}
  %y = r1.linear %x, %w : tensor<?x16xf32>, !r1.weight<2x32x16xbf16> -> tensor<?x32xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>) {
  // expected-error @+1 {{range [8, 24) is not inside the last dimension of size 16}}
  %y = r1.slice %x offset 8 size 16 : tensor<?x16xf32> -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>) {
  // expected-error @+1 {{result must be the input's shape with the last dimension 8}}
  %y = r1.slice %x offset 8 size 8 : tensor<?x16xf32> -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%a: tensor<?x4x16xf32>, %b: tensor<?x2x16xf32>) {
  // expected-error @+1 {{does not match the leading dimensions and element type of the result}}
  %y = r1.concat %a, %b : (tensor<?x4x16xf32>, tensor<?x2x16xf32>) -> tensor<?x4x32xf32>
  return
}

// -----

func.func @f(%a: tensor<?x4x16xf32>, %b: tensor<?x4x8xf32>) {
  // expected-error @+1 {{result's last dimension must be the sum of the inputs' (24), got 32}}
  %y = r1.concat %a, %b : (tensor<?x4x16xf32>, tensor<?x4x8xf32>) -> tensor<?x4x32xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>) {
  // expected-error @+1 {{changes the elements per token from 64 to 96}}
  %y = r1.reshape %x : tensor<?x64xf32> -> tensor<?x4x24xf32>
  return
}

// -----

func.func @f(%x: tensor<3x64xf32>) {
  // expected-error @+1 {{must keep the token dimension}}
  %y = r1.reshape %x : tensor<3x64xf32> -> tensor<4x4x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x2x16xf32>) {
  // expected-error @+1 {{cannot broadcast dimension 1 from 2 to 4}}
  %y = r1.broadcast %x : tensor<?x2x16xf32> -> tensor<?x4x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x4x15xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{rotates pairs, so the last dimension must be static and even, got 15}}
  %y = r1.rope %x, %p half theta 1.0e4 : tensor<?x4x15xf32>, tensor<?xi32>
  return
}

// -----

func.func @f(%x: tensor<?x4x16xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{expected rope style 'interleaved' or 'half', got 'rotated'}}
  %y = r1.rope %x, %p rotated theta 1.0e4 : tensor<?x4x16xf32>, tensor<?xi32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{input must be [tokens, heads, dim]}}
  %y = r1.rope %x, %p half theta 1.0e4 : tensor<?x64xf32>, tensor<?xi32>
  return
}

// -----

func.func @f(%x: tensor<?x4x16xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{yarn factor must be >= 1, got 5.000000e-01}}
  %y = r1.rope %x, %p interleaved theta 1.0e4 scaling(#r1.yarn<factor = 0.5, original_max_positions = 4096, beta_fast = 32.0, beta_slow = 1.0, mscale = 1.0, mscale_all_dim = 1.0>) : tensor<?x4x16xf32>, tensor<?xi32>
  return
}

// -----

func.func @f(%x: tensor<?x4x16xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{llama3 scaling needs 0 < low_freq_factor < high_freq_factor}}
  %y = r1.rope %x, %p half theta 1.0e4 scaling(#r1.llama3<factor = 8.0, low_freq_factor = 4.0, high_freq_factor = 1.0, original_max_positions = 8192>) : tensor<?x4x16xf32>, tensor<?xi32>
  return
}

// -----

func.func @f(%q: tensor<?x6x16xf32>, %k: tensor<?x4x16xf32>, %v: tensor<?x4x16xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{query heads (6) must be a multiple of key/value heads (4)}}
  %o = r1.attention %q, %k, %v, %p layer 0 scale 0.25 : (tensor<?x6x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?xi32>) -> tensor<?x6x16xf32>
  return
}

// -----

func.func @f(%q: tensor<?x4x16xf32>, %k: tensor<?x4x8xf32>, %v: tensor<?x4x16xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{query and key head dims differ: 16 vs 8}}
  %o = r1.attention %q, %k, %v, %p layer 0 scale 0.25 : (tensor<?x4x16xf32>, tensor<?x4x8xf32>, tensor<?x4x16xf32>, tensor<?xi32>) -> tensor<?x4x16xf32>
  return
}

// -----

func.func @f(%q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x8xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{result must be [tokens, 4, 8]}}
  %o = r1.attention %q, %k, %v, %p layer 0 scale 0.25 : (tensor<?x4x16xf32>, tensor<?x2x16xf32>, tensor<?x2x8xf32>, tensor<?xi32>) -> tensor<?x4x16xf32>
  return
}

// -----

func.func @f(%q: tensor<?x4x16xf32>, %p: tensor<?xi32>) {
  // expected-error @+1 {{'r1.attention' op attribute 'layer' failed to satisfy constraint}}
  %o = r1.attention %q, %q, %q, %p layer -1 scale 0.25 : (tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?x4x16xf32>, tensor<?xi32>) -> tensor<?x4x16xf32>
  return
}

// -----

func.func @f(%s: tensor<?x16xf32>) {
  // expected-error @+1 {{num_groups (3) must divide the expert count (16)}}
  %i, %w = r1.moe.topk %s {top_k = 2, num_groups = 3, topk_groups = 1, group_score = #r1.group_score<max>, normalize = true, scaling_factor = 1.0} : tensor<?x16xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  return
}

// -----

func.func @f(%s: tensor<?x16xf32>) {
  // expected-error @+1 {{topk_groups (5) must not exceed num_groups (4)}}
  %i, %w = r1.moe.topk %s {top_k = 2, num_groups = 4, topk_groups = 5, group_score = #r1.group_score<max>, normalize = true, scaling_factor = 1.0} : tensor<?x16xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  return
}

// -----

func.func @f(%s: tensor<?x16xf32>) {
  // expected-error @+1 {{top_k (9) exceeds the 8 experts in the 2 kept group(s)}}
  %i, %w = r1.moe.topk %s {top_k = 9, num_groups = 4, topk_groups = 2, group_score = #r1.group_score<top2_sum>, normalize = true, scaling_factor = 1.0} : tensor<?x16xf32> -> tensor<?x9xi32>, tensor<?x9xf32>
  return
}

// -----

func.func @f(%s: tensor<?x16xf32>) {
  // expected-error @+1 {{group_score top2_sum needs at least 2 experts per group, got 1}}
  %i, %w = r1.moe.topk %s {top_k = 2, num_groups = 16, topk_groups = 4, group_score = #r1.group_score<top2_sum>, normalize = true, scaling_factor = 1.0} : tensor<?x16xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  return
}

// -----

func.func @f(%s: tensor<?x16xf32>) {
  // expected-error @+1 {{group_score none means one group}}
  %i, %w = r1.moe.topk %s {top_k = 2, num_groups = 4, topk_groups = 2, group_score = #r1.group_score<none>, normalize = true, scaling_factor = 1.0} : tensor<?x16xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  return
}

// -----

func.func @f(%s: tensor<?x16xf32>, %b: !r1.weight<8xf32>) {
  // expected-error @+1 {{bias must be [16]}}
  %i, %w = r1.moe.topk %s bias %b {top_k = 2, num_groups = 4, topk_groups = 2, group_score = #r1.group_score<top2_sum>, normalize = true, scaling_factor = 1.0} : tensor<?x16xf32>, !r1.weight<8xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  return
}

// -----

func.func @f(%s: tensor<?x16xf32>) {
  // expected-error @+1 {{results must be [tokens, 2]}}
  %i, %w = r1.moe.topk %s {top_k = 2, num_groups = 1, topk_groups = 1, group_score = #r1.group_score<none>, normalize = true, scaling_factor = 1.0} : tensor<?x16xf32> -> tensor<?x3xi32>, tensor<?x3xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %i: tensor<?x2xi32>, %w: tensor<?x2xf32>, %g: !r1.weight<4x8x16xbf16>, %u: !r1.weight<4x8x16xbf16>, %d: !r1.weight<4x8x16xbf16>) {
  // expected-error @+1 {{down must be [4, 16, 8]}}
  %y = r1.moe.experts %x, %i, %w, %g, %u, %d : (tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32>, !r1.weight<4x8x16xbf16>, !r1.weight<4x8x16xbf16>, !r1.weight<4x8x16xbf16>) -> tensor<?x16xf32>
  return
}

// -----

func.func @f(%x: tensor<?x16xf32>, %i: tensor<?x2xi32>, %w: tensor<?x2xf32>, %g: !r1.weight<4x8x32xbf16>, %d: !r1.weight<4x32x8xbf16>) {
  // expected-error @+1 {{expert hidden size 32 does not match the input's 16}}
  %y = r1.moe.experts %x, %i, %w, %g, %g, %d : (tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32>, !r1.weight<4x8x32xbf16>, !r1.weight<4x8x32xbf16>, !r1.weight<4x32x8xbf16>) -> tensor<?x16xf32>
  return
}

// -----

// expected-error @+1 {{model eos 7 is outside the vocabulary [0, 4)}}
module attributes {r1.model = #r1.model<architecture = "llama", vocab_size = 4, hidden_size = 8, num_layers = 1, num_mtp_layers = 0, max_positions = 16, bos = 0, eos = [7]>} {
}

// -----

func.func @f(%x: tensor<?x8xf32>, %d: tensor<?x8xf32>, %w: !r1.weight<6xbf16>) {
  // expected-error @+1 {{weight must be [8] to match the last dimension of the input, got '!r1.weight<6xbf16>'}}
  %s, %n = r1.add_rms_norm %x, %d, %w eps 1.0e-6 : tensor<?x8xf32>, !r1.weight<6xbf16>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %d: tensor<?x8xf32>, %w: !r1.weight<8xbf16>) {
  // expected-error @+1 {{epsilon must be positive}}
  %s, %n = r1.add_rms_norm %x, %d, %w eps 0.0 : tensor<?x8xf32>, !r1.weight<8xbf16>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %d: tensor<?x8xf16>, %w: !r1.weight<8xbf16>) {
  // expected-error @+1 {{all of {input, residual, sum, result} have same type}}
  %s, %n = "r1.add_rms_norm"(%x, %d, %w) <{epsilon = 1.0e-6 : f64}> : (tensor<?x8xf32>, tensor<?x8xf16>, !r1.weight<8xbf16>) -> (tensor<?x8xf32>, tensor<?x8xf32>)
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>) {
  // expected-error @+1 {{needs at least one weight}}
  r1.fused_linear %x weights() : (tensor<?x8xf32>) -> ()
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %a: !r1.weight<4x8xbf16>, %b: !r1.weight<4xbf16>) {
  // expected-error @+1 {{has 1 biases for 2 weights: give one per weight or none}}
  %p, %q = r1.fused_linear %x weights(%a, %a) biases(%b) : (tensor<?x8xf32>, !r1.weight<4x8xbf16>, !r1.weight<4x8xbf16>, !r1.weight<4xbf16>) -> (tensor<?x4xf32>, tensor<?x4xf32>)
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %a: !r1.weight<4x8xbf16>) {
  // expected-error @+1 {{has 1 results for 2 weights: needs one per weight}}
  %p = r1.fused_linear %x weights(%a, %a) : (tensor<?x8xf32>, !r1.weight<4x8xbf16>, !r1.weight<4x8xbf16>) -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %g: !r1.weight<8xbf16>, %a: !r1.weight<4x8xbf16>) {
  // expected-error @+1 {{has a norm weight but no epsilon}}
  %p = "r1.fused_linear"(%x, %g, %a) <{operandSegmentSizes = array<i32: 1, 1, 1, 0>}> : (tensor<?x8xf32>, !r1.weight<8xbf16>, !r1.weight<4x8xbf16>) -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %a: !r1.weight<4x8xbf16>) {
  // expected-error @+1 {{has an epsilon but no norm weight}}
  %p = "r1.fused_linear"(%x, %a) <{epsilon = 1.0e-6 : f64, operandSegmentSizes = array<i32: 1, 0, 1, 0>}> : (tensor<?x8xf32>, !r1.weight<4x8xbf16>) -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %g: !r1.weight<4xbf16>, %a: !r1.weight<4x8xbf16>) {
  // expected-error @+1 {{norm weight must be [8] to match the last dimension of the input, got '!r1.weight<4xbf16>'}}
  %p = r1.fused_linear %x norm(%g eps 1.0e-6) weights(%a) : (tensor<?x8xf32>, !r1.weight<4xbf16>, !r1.weight<4x8xbf16>) -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %g: !r1.weight<8xbf16>, %a: !r1.weight<4x8xbf16>) {
  // expected-error @+1 {{epsilon must be positive}}
  %p = r1.fused_linear %x norm(%g eps -1.0) weights(%a) : (tensor<?x8xf32>, !r1.weight<8xbf16>, !r1.weight<4x8xbf16>) -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %a: !r1.weight<2x4x8xbf16>) {
  // expected-error @+1 {{weight #0 must be [out, in], got '!r1.weight<2x4x8xbf16>'}}
  %p = r1.fused_linear %x weights(%a) : (tensor<?x8xf32>, !r1.weight<2x4x8xbf16>) -> tensor<?x4xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %a: !r1.weight<4x8xbf16>, %b: !r1.weight<4x6xbf16>) {
  // expected-error @+1 {{weight #1's input dimension 6 does not match the input's last dimension 8}}
  %p, %q = r1.fused_linear %x weights(%a, %b) : (tensor<?x8xf32>, !r1.weight<4x8xbf16>, !r1.weight<4x6xbf16>) -> (tensor<?x4xf32>, tensor<?x4xf32>)
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %a: !r1.weight<4x8xbf16>, %b: !r1.weight<4x8xf32>) {
  // expected-error @+1 {{weights must share one element type: weight #0 has 'bf16', weight #1 has 'f32'}}
  %p, %q = r1.fused_linear %x weights(%a, %b) : (tensor<?x8xf32>, !r1.weight<4x8xbf16>, !r1.weight<4x8xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>)
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %a: !r1.weight<4x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>, %b: !r1.weight<4x8xf8E4M3FN, #r1.block_scaled<[64, 64]>>) {
  // expected-error @+1 {{weights must share one layout: weight #0 has #r1.block_scaled<[128, 128]>, weight #1 has #r1.block_scaled<[64, 64]>}}
  %p, %q = r1.fused_linear %x weights(%a, %b) : (tensor<?x8xf32>, !r1.weight<4x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>, !r1.weight<4x8xf8E4M3FN, #r1.block_scaled<[64, 64]>>) -> (tensor<?x4xf32>, tensor<?x4xf32>)
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %a: !r1.weight<16x8xbf16>, %b: !r1.weight<4x8xbf16>) {
  // expected-error @+1 {{result #1 must be the input's shape with the last dimension 4, got 'tensor<?x16xf32>'}}
  %p, %q = r1.fused_linear %x weights(%a, %b) : (tensor<?x8xf32>, !r1.weight<16x8xbf16>, !r1.weight<4x8xbf16>) -> (tensor<?x16xf32>, tensor<?x16xf32>)
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %a: !r1.weight<16x8xbf16>, %b: !r1.weight<4x8xbf16>, %ba: !r1.weight<16xbf16>) {
  // expected-error @+1 {{bias #1 must be [4], got '!r1.weight<16xbf16>'}}
  %p, %q = r1.fused_linear %x weights(%a, %b) biases(%ba, %ba) : (tensor<?x8xf32>, !r1.weight<16x8xbf16>, !r1.weight<4x8xbf16>, !r1.weight<16xbf16>, !r1.weight<16xbf16>) -> (tensor<?x16xf32>, tensor<?x4xf32>)
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %g: !r1.weight<8xbf16>, %w: !r1.weight<12x8xbf16>) {
  // expected-error @+1 {{has a norm weight but no epsilon}}
  %h = "r1.gated_linear"(%x, %g, %w, %w) : (tensor<?x8xf32>, !r1.weight<8xbf16>, !r1.weight<12x8xbf16>, !r1.weight<12x8xbf16>) -> tensor<?x12xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %w: !r1.weight<12x8xbf16>) {
  // expected-error @+1 {{has an epsilon but no norm weight}}
  %h = "r1.gated_linear"(%x, %w, %w) <{epsilon = 1.0e-6 : f64}> : (tensor<?x8xf32>, !r1.weight<12x8xbf16>, !r1.weight<12x8xbf16>) -> tensor<?x12xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %g: !r1.weight<12xbf16>, %w: !r1.weight<12x8xbf16>) {
  // expected-error @+1 {{norm weight must be [8] to match the last dimension of the input}}
  %h = r1.gated_linear %x norm(%g eps 1.0e-6) gate %w up %w : (tensor<?x8xf32>, !r1.weight<12xbf16>, !r1.weight<12x8xbf16>, !r1.weight<12x8xbf16>) -> tensor<?x12xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %g: !r1.weight<8xbf16>, %w: !r1.weight<12x8xbf16>) {
  // expected-error @+1 {{epsilon must be positive}}
  %h = r1.gated_linear %x norm(%g eps 0.0) gate %w up %w : (tensor<?x8xf32>, !r1.weight<8xbf16>, !r1.weight<12x8xbf16>, !r1.weight<12x8xbf16>) -> tensor<?x12xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %wg: !r1.weight<12x8xbf16>, %wu: !r1.weight<10x8xbf16>) {
  // expected-error @+1 {{gate and up must both be [inter, in], got '!r1.weight<12x8xbf16>' and '!r1.weight<10x8xbf16>'}}
  %h = r1.gated_linear %x gate %wg up %wu : (tensor<?x8xf32>, !r1.weight<12x8xbf16>, !r1.weight<10x8xbf16>) -> tensor<?x12xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %wg: !r1.weight<12x8xbf16>, %wu: !r1.weight<12x8xf16>) {
  // expected-error @+1 {{gate and up must share one element type and layout}}
  %h = r1.gated_linear %x gate %wg up %wu : (tensor<?x8xf32>, !r1.weight<12x8xbf16>, !r1.weight<12x8xf16>) -> tensor<?x12xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %wg: !r1.weight<12x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>, %wu: !r1.weight<12x8xf8E4M3FN, #r1.block_scaled<[64, 64]>>) {
  // expected-error @+1 {{gate and up must share one element type and layout}}
  %h = r1.gated_linear %x gate %wg up %wu : (tensor<?x8xf32>, !r1.weight<12x8xf8E4M3FN, #r1.block_scaled<[128, 128]>>, !r1.weight<12x8xf8E4M3FN, #r1.block_scaled<[64, 64]>>) -> tensor<?x12xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %w: !r1.weight<12x6xbf16>) {
  // expected-error @+1 {{input's last dimension 8 does not match the weights' input dimension 6}}
  %h = r1.gated_linear %x gate %w up %w : (tensor<?x8xf32>, !r1.weight<12x6xbf16>, !r1.weight<12x6xbf16>) -> tensor<?x12xf32>
  return
}

// -----

func.func @f(%x: tensor<?x8xf32>, %w: !r1.weight<12x8xbf16>) {
  // expected-error @+1 {{result must be the input's shape with the last dimension 12, got 'tensor<?x8xf32>'}}
  %h = r1.gated_linear %x gate %w up %w : (tensor<?x8xf32>, !r1.weight<12x8xbf16>, !r1.weight<12x8xbf16>) -> tensor<?x8xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %g: !r1.weight<16x32xbf16>) {
  // expected-error @+1 {{gate must be [experts, hidden] with the input's hidden size (input 'tensor<?x64xf32>'), got '!r1.weight<16x32xbf16>'}}
  %i, %w = r1.moe.route %x, %g sigmoid {top_k = 2, num_groups = 1, topk_groups = 1, group_score = #r1.group_score<none>, normalize = true, scaling_factor = 1.0} : tensor<?x64xf32>, !r1.weight<16x32xbf16> -> tensor<?x2xi32>, tensor<?x2xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %g: !r1.weight<16x64xbf16>, %b: !r1.weight<8xf32>) {
  // expected-error @+1 {{bias must be [16]}}
  %i, %w = r1.moe.route %x, %g bias %b sigmoid {top_k = 2, num_groups = 4, topk_groups = 2, group_score = #r1.group_score<top2_sum>, normalize = true, scaling_factor = 1.0} : tensor<?x64xf32>, !r1.weight<16x64xbf16>, !r1.weight<8xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %g: !r1.weight<16x64xbf16>) {
  // expected-error @+1 {{topk_groups (5) must not exceed num_groups (4)}}
  %i, %w = r1.moe.route %x, %g softmax {top_k = 2, num_groups = 4, topk_groups = 5, group_score = #r1.group_score<max>, normalize = true, scaling_factor = 1.0} : tensor<?x64xf32>, !r1.weight<16x64xbf16> -> tensor<?x2xi32>, tensor<?x2xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %g: !r1.weight<16x64xbf16>) {
  // expected-error @+1 {{results must be [tokens, 2]}}
  %i, %w = r1.moe.route %x, %g softmax {top_k = 2, num_groups = 1, topk_groups = 1, group_score = #r1.group_score<none>, normalize = true, scaling_factor = 1.0} : tensor<?x64xf32>, !r1.weight<16x64xbf16> -> tensor<?x3xi32>, tensor<?x3xf32>
  return
}

// -----

func.func @f(%x: tensor<?x64xf32>, %g: !r1.weight<16x64xbf16>) {
  // expected-error @+1 {{expected scoring function 'sigmoid' or 'softmax', got 'relu'}}
  %i, %w = r1.moe.route %x, %g relu {top_k = 2, num_groups = 1, topk_groups = 1, group_score = #r1.group_score<none>, normalize = true, scaling_factor = 1.0} : tensor<?x64xf32>, !r1.weight<16x64xbf16> -> tensor<?x2xi32>, tensor<?x2xf32>
  return
}

// -----

func.func @mla_kv_b_shape(%q: tensor<?x4x48xf32>, %latent: tensor<?x64xf32>, %k_pe: tensor<?x1x16xf32>, %positions: tensor<?xi32>, %kv_b: !r1.weight<192x64xbf16>) -> tensor<?x4x32xf32> {
  // expected-error @+1 {{kv_b must be [heads * (nope + v), kv_lora_rank] = [256, 64]}}
  %o = r1.mla %q, %latent, %k_pe, %positions, %kv_b layer 0 scale 0.25 prefill materialized decode absorbed : (tensor<?x4x48xf32>, tensor<?x64xf32>, tensor<?x1x16xf32>, tensor<?xi32>, !r1.weight<192x64xbf16>) -> tensor<?x4x32xf32>
  return %o : tensor<?x4x32xf32>
}

// -----

func.func @mla_shared_rope(%q: tensor<?x4x48xf32>, %latent: tensor<?x64xf32>, %k_pe: tensor<?x4x16xf32>, %positions: tensor<?xi32>, %kv_b: !r1.weight<256x64xbf16>) -> tensor<?x4x32xf32> {
  // expected-error @+1 {{key_rope must be one head shared by all query heads}}
  %o = r1.mla %q, %latent, %k_pe, %positions, %kv_b layer 0 scale 0.25 prefill materialized decode absorbed : (tensor<?x4x48xf32>, tensor<?x64xf32>, tensor<?x4x16xf32>, tensor<?xi32>, !r1.weight<256x64xbf16>) -> tensor<?x4x32xf32>
  return %o : tensor<?x4x32xf32>
}

// -----

func.func @mla_form(%q: tensor<?x4x48xf32>, %latent: tensor<?x64xf32>, %k_pe: tensor<?x1x16xf32>, %positions: tensor<?xi32>, %kv_b: !r1.weight<256x64xbf16>) -> tensor<?x4x32xf32> {
  // expected-error @+1 {{expected MLA form 'materialized' or 'absorbed', got 'latent'}}
  %o = r1.mla %q, %latent, %k_pe, %positions, %kv_b layer 0 scale 0.25 prefill latent decode absorbed : (tensor<?x4x48xf32>, tensor<?x64xf32>, tensor<?x1x16xf32>, tensor<?xi32>, !r1.weight<256x64xbf16>) -> tensor<?x4x32xf32>
  return %o : tensor<?x4x32xf32>
}

// -----

// expected-error @+1 {{holds FP8 values without scales; checkpoint FP8 weights are #r1.block_scaled}}
r1.weight @fp8_plain : !r1.weight<64x64xf8E4M3FN> = "w"
