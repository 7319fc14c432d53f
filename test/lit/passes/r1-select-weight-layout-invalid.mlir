// RUN: r1c-opt %s --split-input-file --verify-diagnostics --r1-select-weight-layout -o /dev/null

// An FP8 embedding table has no host kernel that reads FP8.

r1.weight @embed : !r1.weight<64x128xf8E4M3FN, #r1.block_scaled<[128, 128]>> = "embed" scales "embed_scale_inv"
func.func @fp8_embedding(%tokens: tensor<?xi32>) -> tensor<?x128xf32> {
  %t = r1.weight.get @embed : !r1.weight<64x128xf8E4M3FN, #r1.block_scaled<[128, 128]>>
  // expected-error @+1 {{reads FP8 weight @embed; r1c keeps FP8 only for projections}}
  %e = r1.embed %tokens, %t : (tensor<?xi32>, !r1.weight<64x128xf8E4M3FN, #r1.block_scaled<[128, 128]>>) -> tensor<?x128xf32>
  return %e : tensor<?x128xf32>
}

// -----

// Block scales over other than 128 columns: no host kernel reads them.

func.func @odd_blocks(%x: tensor<?x128xf32>) -> tensor<?x96xf32> {
  // expected-error @+1 {{is block-scaled but not FP8 e4m3fn in [*, 128] blocks}}
  %w = r1.weight.get @w : !r1.weight<96x128xf8E4M3FN, #r1.block_scaled<[64, 64]>>
  %y = r1.linear %x, %w : tensor<?x128xf32>, !r1.weight<96x128xf8E4M3FN, #r1.block_scaled<[64, 64]>> -> tensor<?x96xf32>
  return %y : tensor<?x96xf32>
}
r1.weight @w : !r1.weight<96x128xf8E4M3FN, #r1.block_scaled<[64, 64]>> = "w" scales "w_scale_inv"
