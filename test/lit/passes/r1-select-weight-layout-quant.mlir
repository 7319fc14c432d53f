// RUN: r1c-opt %s --split-input-file --r1-select-weight-layout="quant=int4 quant-group=32" | FileCheck %s --check-prefix=INT4
// RUN: r1c-opt %s --split-input-file --r1-select-weight-layout="quant=int8 quant-group=32" | FileCheck %s --check-prefix=INT8
// RUN: r1c-opt %s --split-input-file --r1-select-weight-layout="quant=bf16" | FileCheck %s --check-prefix=BF16
// RUN: r1c-opt %s --split-input-file --r1-select-weight-layout="quant=fp8" | FileCheck %s --check-prefix=FP8

// `quant` converts every projection weight (linear, experts) and records the
// checkpoint's type as `from`; the norm weight and the router stay. The
// embedding table that the head shares (tied embeddings) keeps its type and
// the head gets a converted copy. BF16 leaves BF16 weights alone and
// dequantizes FP8 ones; FP8 leaves FP8 ones alone and quantizes BF16 ones to
// [1, 128] blocks.

// INT4: r1.weight @embed : !r1.weight<64x128xbf16> = "model.embed_tokens.weight"{{$}}
// INT4: r1.weight @"embed:int4" : !r1.weight<64x128xi4, #r1.group_scaled<32, f16>> = "model.embed_tokens.weight" from !r1.weight<64x128xbf16>
// INT4: r1.weight @norm : !r1.weight<128xf32> = "norm"{{$}}
// INT4: r1.weight @router : !r1.weight<4x128xbf16> = "router"{{$}}
// INT4: r1.weight @qa : !r1.weight<96x128xi4, #r1.group_scaled<32, f16>> = "qa" scales "qa_scale" from !r1.weight<96x128xf8E4M3FN, #r1.block_scaled<[128, 128]>>
// INT4: r1.weight @gate : !r1.weight<4x32x128xi4, #r1.group_scaled<32, f16>> = "g.{expert}" from !r1.weight<4x32x128xbf16>
// INT4: r1.weight @down : !r1.weight<4x128x32xi4, #r1.group_scaled<32, f16>> = "d.{expert}" from !r1.weight<4x128x32xbf16>
// INT4-LABEL: func.func @layer
// INT4: r1.embed {{.*}} !r1.weight<64x128xbf16>)
// INT4: r1.linear {{.*}} !r1.weight<96x128xi4, #r1.group_scaled<32, f16>>
// INT4: r1.weight.get @"embed:int4" : !r1.weight<64x128xi4, #r1.group_scaled<32, f16>>
// INT4: r1.linear {{.*}} !r1.weight<64x128xi4, #r1.group_scaled<32, f16>>
// INT4: r1.moe.experts {{.*}} !r1.weight<4x32x128xi4, #r1.group_scaled<32, f16>>, !r1.weight<4x32x128xi4, #r1.group_scaled<32, f16>>, !r1.weight<4x128x32xi4, #r1.group_scaled<32, f16>>)

// INT8: r1.weight @qa : !r1.weight<96x128xi8, #r1.group_scaled<32, f16>>
// INT8: r1.weight @gate : !r1.weight<4x32x128xi8, #r1.group_scaled<32, f16>>

// BF16: r1.weight @embed : !r1.weight<64x128xbf16> = "model.embed_tokens.weight"{{$}}
// BF16-NOT: embed:
// BF16: r1.weight @qa : !r1.weight<96x128xbf16> = "qa" scales "qa_scale" from !r1.weight<96x128xf8E4M3FN, #r1.block_scaled<[128, 128]>>
// BF16: r1.weight @gate : !r1.weight<4x32x128xbf16> = "g.{expert}"{{$}}

// FP8: r1.weight @"embed:fp8" : !r1.weight<64x128xf8E4M3FN, #r1.block_scaled<[1, 128]>> = "model.embed_tokens.weight" from !r1.weight<64x128xbf16>
// FP8: r1.weight @qa : !r1.weight<96x128xf8E4M3FN, #r1.block_scaled<[128, 128]>> = "qa" scales "qa_scale"{{$}}
// FP8: r1.weight @gate : !r1.weight<4x32x128xf8E4M3FN, #r1.block_scaled<[1, 128]>> = "g.{expert}" from !r1.weight<4x32x128xbf16>
module {
  r1.weight @embed : !r1.weight<64x128xbf16> = "model.embed_tokens.weight"
  r1.weight @norm : !r1.weight<128xf32> = "norm"
  r1.weight @router : !r1.weight<4x128xbf16> = "router"
  r1.weight @qa : !r1.weight<96x128xf8E4M3FN, #r1.block_scaled<[128, 128]>> = "qa" scales "qa_scale"
  r1.weight @gate : !r1.weight<4x32x128xbf16> = "g.{expert}"
  r1.weight @up : !r1.weight<4x32x128xbf16> = "u.{expert}"
  r1.weight @down : !r1.weight<4x128x32xbf16> = "d.{expert}"
  func.func @layer(%tokens: tensor<?xi32>) -> (tensor<?x96xf32>, tensor<?x64xf32>, tensor<?x128xf32>, tensor<?x4xf32>) {
    %embed = r1.weight.get @embed : !r1.weight<64x128xbf16>
    %x = r1.embed %tokens, %embed : (tensor<?xi32>, !r1.weight<64x128xbf16>) -> tensor<?x128xf32>
    %wqa = r1.weight.get @qa : !r1.weight<96x128xf8E4M3FN, #r1.block_scaled<[128, 128]>>
    %qa = r1.linear %x, %wqa : tensor<?x128xf32>, !r1.weight<96x128xf8E4M3FN, #r1.block_scaled<[128, 128]>> -> tensor<?x96xf32>
    %logits = r1.linear %x, %embed : tensor<?x128xf32>, !r1.weight<64x128xbf16> -> tensor<?x64xf32>
    %router = r1.weight.get @router : !r1.weight<4x128xbf16>
    %routerLogits = r1.linear %x, %router : tensor<?x128xf32>, !r1.weight<4x128xbf16> -> tensor<?x4xf32>
    %scores = r1.sigmoid %routerLogits : tensor<?x4xf32>
    %topIds, %topWeights = r1.moe.topk %scores {group_score = #r1.group_score<none>, normalize = true, num_groups = 1 : i64, scaling_factor = 1.0 : f64, top_k = 2 : i64, topk_groups = 1 : i64} : tensor<?x4xf32> -> tensor<?x2xi32>, tensor<?x2xf32>
    %g = r1.weight.get @gate : !r1.weight<4x32x128xbf16>
    %u = r1.weight.get @up : !r1.weight<4x32x128xbf16>
    %d = r1.weight.get @down : !r1.weight<4x128x32xbf16>
    %moe = r1.moe.experts %x, %topIds, %topWeights, %g, %u, %d : (tensor<?x128xf32>, tensor<?x2xi32>, tensor<?x2xf32>, !r1.weight<4x32x128xbf16>, !r1.weight<4x32x128xbf16>, !r1.weight<4x128x32xbf16>) -> tensor<?x128xf32>
    return %qa, %logits, %moe, %scores : tensor<?x96xf32>, tensor<?x64xf32>, tensor<?x128xf32>, tensor<?x4xf32>
  }
}
