// RUN: r1c-opt %s --split-input-file --r1-select-weight-layout | FileCheck %s --check-prefix=WONLY
// RUN: r1c-opt %s --split-input-file --r1-select-weight-layout=w8a8 | FileCheck %s --check-prefix=W8A8

// Weight-only FP8 (the default): the IR is unchanged; the FP8 weights stay
// FP8 for the kernels. With w8a8, each projection input that meets an FP8
// weight is quantized once, shared by the projections that read it (q_a and
// kv_a here); the BF16 head reads the unquantized value; the routed experts
// quantize inside their kernel.

// WONLY-LABEL: func.func @layer
// WONLY-NOT: r1.quantize_f8
// WONLY-NOT: quantize_activations
// WONLY: return

// W8A8-LABEL: func.func @layer
// W8A8-SAME: (%[[X:[^:]+]]: tensor<?x128xf32>,
// W8A8-NEXT: %[[XQ:.+]] = r1.quantize_f8 %[[X]] block 128 : tensor<?x128xf32>
// W8A8-NEXT: r1.linear %[[XQ]], %{{.+}} : tensor<?x128xf32>, !r1.weight<96x128xf8E4M3FN
// W8A8-NEXT: r1.linear %[[XQ]], %{{.+}} : tensor<?x128xf32>, !r1.weight<80x128xf8E4M3FN
// W8A8-NEXT: r1.linear %[[X]], %{{.+}} : tensor<?x128xf32>, !r1.weight<64x128xbf16>
// W8A8-NEXT: r1.moe.experts %[[X]], {{.*}} {quantize_activations}
// W8A8-NOT: r1.quantize_f8
func.func @layer(%x: tensor<?x128xf32>, %wqa: !r1.weight<96x128xf8E4M3FN, #r1.block_scaled<[128, 128]>>, %wkva: !r1.weight<80x128xf8E4M3FN, #r1.block_scaled<[128, 128]>>, %head: !r1.weight<64x128xbf16>, %ids: tensor<?x2xi32>, %w: tensor<?x2xf32>, %g: !r1.weight<4x32x128xf8E4M3FN, #r1.block_scaled<[128, 128]>>, %u: !r1.weight<4x32x128xf8E4M3FN, #r1.block_scaled<[128, 128]>>, %d: !r1.weight<4x128x32xf8E4M3FN, #r1.block_scaled<[128, 128]>>) -> (tensor<?x96xf32>, tensor<?x80xf32>, tensor<?x64xf32>, tensor<?x128xf32>) {
  %qa = r1.linear %x, %wqa : tensor<?x128xf32>, !r1.weight<96x128xf8E4M3FN, #r1.block_scaled<[128, 128]>> -> tensor<?x96xf32>
  %kva = r1.linear %x, %wkva : tensor<?x128xf32>, !r1.weight<80x128xf8E4M3FN, #r1.block_scaled<[128, 128]>> -> tensor<?x80xf32>
  %logits = r1.linear %x, %head : tensor<?x128xf32>, !r1.weight<64x128xbf16> -> tensor<?x64xf32>
  %moe = r1.moe.experts %x, %ids, %w, %g, %u, %d : (tensor<?x128xf32>, tensor<?x2xi32>, tensor<?x2xf32>, !r1.weight<4x32x128xf8E4M3FN, #r1.block_scaled<[128, 128]>>, !r1.weight<4x32x128xf8E4M3FN, #r1.block_scaled<[128, 128]>>, !r1.weight<4x128x32xf8E4M3FN, #r1.block_scaled<[128, 128]>>) -> tensor<?x128xf32>
  return %qa, %kva, %logits, %moe : tensor<?x96xf32>, tensor<?x80xf32>, tensor<?x64xf32>, tensor<?x128xf32>
}
