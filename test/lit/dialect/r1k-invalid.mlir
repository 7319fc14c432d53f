// RUN: r1c-opt %s --split-input-file --verify-diagnostics

// expected-error @+1 {{unknown kernel kind 'conv'}}
r1k.kernel @k "conv" {}

// -----

// expected-error @+1 {{kind 'linear' needs param 'n' of the right type}}
r1k.kernel @k "linear" {k = 64 : i64, wtype = "bf16", bias = false, norm = false}

// -----

// expected-error @+1 {{wtype must be f32, bf16, f16, f8 or i8g/i4g with groups of 32, 64 or 128, not 'i4'}}
r1k.kernel @k "embed" {vocab = 10 : i64, hidden = 4 : i64, wtype = "i4"}

// -----

// expected-error @+1 {{kind 'embed' does not read integer weights}}
r1k.kernel @k "embed" {vocab = 10 : i64, hidden = 4 : i64, wtype = "i4g32"}

// -----

// expected-error @+1 {{embeddings are never f8}}
r1k.kernel @k "embed" {vocab = 10 : i64, hidden = 4 : i64, wtype = "f8"}

// -----

// expected-error @+1 {{group_score is 0 (none), 1 (max) or 2 (top2_sum)}}
r1k.kernel @k "moe_topk" {experts = 16 : i64, top_k = 4 : i64, groups = 4 : i64, topk_groups = 2 : i64, group_score = 3 : i64, bias = true, normalize = true, scaling = 2.5 : f64}

// -----

// expected-error @+1 {{slice [offset, offset + size) must lie in the row}}
r1k.kernel @k "slice" {heads = 4 : i64, in_row = 48 : i64, offset = 32 : i64, size = 32 : i64}

// -----

r1.weight @q : !r1.weight<64x64xbf16> = "q"
// expected-error @+1 {{source @q has no block scales}}
r1k.packed_weight @p : !r1.weight<64x1xf32> = [@q] {row_scales}

// -----

// expected-error @+1 {{a kernel with norm needs param 'eps'}}
r1k.kernel @k "gated_linear" {k = 64 : i64, i = 32 : i64, wtype = "bf16", norm = true}

// -----

// expected-error @+1 {{rope inv_freq must have dim/2 entries}}
r1k.kernel @k "rope" {heads = 2 : i64, dim = 4 : i64, interleaved = false, inv_freq = array<f32: 1.0>}

// -----

// expected-error @+1 {{q_heads must be a multiple of kv_heads}}
r1k.kernel @k "attention" {q_heads = 3 : i64, kv_heads = 2 : i64, head_dim = 8 : i64, v_head_dim = 8 : i64, scale = 1.0 : f64}

// -----

r1.weight @q : !r1.weight<64x64xbf16> = "q"
// expected-error @+1 {{sources stack to 64 along axis 0, but the type has 96}}
r1k.packed_weight @p : !r1.weight<96x64xbf16> = [@q]

// -----

r1.weight @q : !r1.weight<64x64xbf16> = "q"
// expected-error @+1 {{source @q of element type 'bf16' can only be packed as itself or f32}}
r1k.packed_weight @p : !r1.weight<64x64xf16> = [@q]

// -----

// expected-error @+1 {{source @missing is not an r1.weight}}
r1k.packed_weight @p : !r1.weight<64xf32> = [@missing]

// -----

// expected-error @+1 {{offset must be 64-byte aligned}}
%b = r1k.buffer offset 8 : memref<?x64xf32>

// -----

%b = r1k.buffer : memref<?x64xf32>
// expected-error @+1 {{views keep the elements per row}}
%v = r1k.view %b : memref<?x64xf32> -> memref<?x4x8xf32>

// -----

r1k.kernel @s "silu" {hidden = 64 : i64}
func.func @step(%x: memref<?x64xf32>) {
  // expected-error @+1 {{a 'silu' launch takes 1 inputs, 1 outputs and 0 weights}}
  r1k.launch @s(%x, %x) -> (%x) weights [] : (memref<?x64xf32>, memref<?x64xf32>) -> (memref<?x64xf32>)
  return
}

// -----

func.func @step(%x: memref<?x64xf32>) {
  // expected-error @+1 {{kernel @nope is not an r1k.kernel}}
  r1k.launch @nope(%x) -> (%x) weights [] : (memref<?x64xf32>) -> (memref<?x64xf32>)
  return
}

// -----

r1k.kernel @a "attention" {q_heads = 2 : i64, kv_heads = 2 : i64, head_dim = 8 : i64, v_head_dim = 8 : i64, scale = 1.0 : f64}
func.func @step(%q: memref<?x2x8xf32>, %p: memref<?xi32>) {
  // expected-error @+1 {{attention and mla need kv_offset}}
  r1k.launch @a(%q, %q, %q, %p) -> (%q) weights [] : (memref<?x2x8xf32>, memref<?x2x8xf32>, memref<?x2x8xf32>, memref<?xi32>) -> (memref<?x2x8xf32>)
  return
}

// -----

r1.weight @kv_b : !r1.weight<256x64xbf16> = "kv_b"
// expected-error @+1 {{transpose applies to head_rows}}
r1k.packed_weight @p : !r1.weight<256x64xbf16> = [@kv_b] {transpose}

// -----

r1.weight @kv_b : !r1.weight<256x64xbf16> = "kv_b"
// expected-error @+1 {{head_rows must be [period, offset, count] with offset + count <= period}}
r1k.packed_weight @p : !r1.weight<256x40xbf16> = [@kv_b] {head_rows = array<i64: 64, 32, 40>, transpose}

// -----

r1.weight @kv_b : !r1.weight<250x64xbf16> = "kv_b"
// expected-error @+1 {{source @kv_b is not [groups * 64, cols]}}
r1k.packed_weight @p : !r1.weight<256x32xbf16> = [@kv_b] {head_rows = array<i64: 64, 0, 32>, transpose}

// -----

r1.weight @kv_b : !r1.weight<256x64xbf16> = "kv_b"
// expected-error @+1 {{sources stack to 256 along axis 0, but the type has 128}}
r1k.packed_weight @p : !r1.weight<128x32xbf16> = [@kv_b] {head_rows = array<i64: 64, 0, 32>, transpose}

// -----

// W_UK^T's FP8 scales exist only when each head's rows are whole 128-row
// scale blocks (here 32 + 32 rows per head: it must be packed as f32).
r1.weight @kv_b : !r1.weight<256x64xf8E4M3FN, #r1.block_scaled<[128, 128]>> = "kv_b" scales "kv_b_scale_inv"
// expected-error @+1 {{source @kv_b's scale blocks do not transpose onto 128-column blocks; pack it as f32}}
r1k.packed_weight @p : !r1.weight<256x1xf32> = [@kv_b] {head_rows = array<i64: 64, 0, 32>, transpose, row_scales}

// -----

// expected-error @+1 {{kind 'mla' needs param 'rank' of the right type}}
r1k.kernel @k "mla" {heads = 4 : i64, nope = 32 : i64, rope = 16 : i64, v = 32 : i64, scale = 0.25 : f64, wtype = "bf16", wtype_uk = "bf16", prefill_absorbed = false, decode_absorbed = true}

// -----

r1.weight @kv_b : !r1.weight<256x64xbf16> = "kv_b"
r1k.packed_weight @kvb : !r1.weight<256x64xbf16> = [@kv_b]
r1k.kernel @k "mla" {heads = 4 : i64, nope = 32 : i64, rope = 16 : i64, v = 32 : i64, rank = 64 : i64, scale = 0.25 : f64, wtype = "bf16", wtype_uk = "bf16", prefill_absorbed = false, decode_absorbed = true}
func.func @step(%q: memref<?x4x48xf32>, %lat: memref<?x64xf32>, %kpe: memref<?x1x16xf32>, %pos: memref<?xi32>, %o: memref<?x4x32xf32>) {
  // An absorbed phase needs W_UK^T after kv_b.
  // expected-error @+1 {{a 'mla' launch takes 4 inputs, 1 outputs and 2 weights}}
  r1k.launch @k(%q, %lat, %kpe, %pos) -> (%o) weights [@kvb] {kv_offset = 0 : i64} : (memref<?x4x48xf32>, memref<?x64xf32>, memref<?x1x16xf32>, memref<?xi32>) -> (memref<?x4x32xf32>)
  return
}
