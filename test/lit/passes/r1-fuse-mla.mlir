// RUN: r1c-opt %s --split-input-file --r1-fuse-mla | FileCheck %s
// RUN: r1c-opt %s --split-input-file --r1-fuse-mla="prefill-form=absorbed decode-form=materialized" | FileCheck %s --check-prefix=FORCED
// RUN: r1c-opt %s --split-input-file --r1-fuse-mla="prefill-tokens=1" | FileCheck %s --check-prefix=SHORT
// RUN: not r1c-opt %s --split-input-file --r1-fuse-mla="decode-form=latent" 2>&1 | FileCheck %s --check-prefix=BADFORM

// The importer's MLA (dsv3-tiny's shapes: 4 heads, nope 32, rope 16, v 32,
// kv_lora_rank 64): kv_b_proj expands the normalized latent into per-head
// keys and values. After the pass one r1.mla reads the latent and the roped
// k_pe directly, and the expansion is gone. The cost model (host figures,
// prefill of 256 tokens, decode over 4096 positions) keeps prefill
// materialized and absorbs decode; the estimates are recorded in r1.cost_us.

// CHECK-LABEL: func.func @mla
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<?x4x48xf32>, %[[LAT:[^:]+]]: tensor<?x64xf32>, %[[KPE:[^:]+]]: tensor<?x1x16xf32>, %[[POS:[^:]+]]: tensor<?xi32>, %[[KVB:[^:]+]]: !r1.weight<256x64xbf16>)
// CHECK-NEXT: %[[O:.+]] = r1.mla %[[Q]], %[[LAT]], %[[KPE]], %[[POS]], %[[KVB]] layer 0 scale 0.27046755772176018 prefill materialized decode absorbed {r1.cost_us = {decode_absorbed = {{.*}}, decode_materialized = {{.*}}, prefill_absorbed = {{.*}}, prefill_materialized = {{.*}}}} : (tensor<?x4x48xf32>, tensor<?x64xf32>, tensor<?x1x16xf32>, tensor<?xi32>, !r1.weight<256x64xbf16>) -> tensor<?x4x32xf32>
// CHECK-NEXT: return %[[O]]
// FORCED-LABEL: func.func @mla
// FORCED: r1.mla {{.*}} prefill absorbed decode materialized
// A one-token "prefill" is a decode: the cost model absorbs it too.
// SHORT-LABEL: func.func @mla
// SHORT: r1.mla {{.*}} prefill absorbed decode absorbed
// BADFORM: r1-fuse-mla: prefill-form and decode-form must be auto, materialized or absorbed
func.func @mla(%q: tensor<?x4x48xf32>, %latent: tensor<?x64xf32>, %k_pe: tensor<?x1x16xf32>, %positions: tensor<?xi32>, %kv_b: !r1.weight<256x64xbf16>) -> tensor<?x4x32xf32> {
  %kv = r1.linear %latent, %kv_b : tensor<?x64xf32>, !r1.weight<256x64xbf16> -> tensor<?x256xf32>
  %kvh = r1.reshape %kv : tensor<?x256xf32> -> tensor<?x4x64xf32>
  %k_nope = r1.slice %kvh offset 0 size 32 : tensor<?x4x64xf32> -> tensor<?x4x32xf32>
  %k_pe4 = r1.broadcast %k_pe : tensor<?x1x16xf32> -> tensor<?x4x16xf32>
  %k = r1.concat %k_nope, %k_pe4 : (tensor<?x4x32xf32>, tensor<?x4x16xf32>) -> tensor<?x4x48xf32>
  %v = r1.slice %kvh offset 32 size 32 : tensor<?x4x64xf32> -> tensor<?x4x32xf32>
  %o = r1.attention %q, %k, %v, %positions layer 0 scale 0.27046755772176018 : (tensor<?x4x48xf32>, tensor<?x4x48xf32>, tensor<?x4x32xf32>, tensor<?xi32>) -> tensor<?x4x32xf32>
  return %o : tensor<?x4x32xf32>
}

// -----

// R1's own shapes with FP8 kv_b_proj (128 heads, nope 128, rope 64, v 128,
// kv_lora_rank 512): the weight keeps its block-scaled type; decode is
// absorbed, prefill of 256 tokens materialized.

// CHECK-LABEL: func.func @mla$r1
// CHECK-NEXT: r1.mla {{.*}} layer 3 scale {{.*}} prefill materialized decode absorbed {{.*}} !r1.weight<32768x512xf8E4M3FN, #r1.block_scaled<[128, 128]>>) -> tensor<?x128x128xf32>
// CHECK-NEXT: return
func.func @mla$r1(%q: tensor<?x128x192xf32>, %latent: tensor<?x512xf32>, %k_pe: tensor<?x1x64xf32>, %positions: tensor<?xi32>, %kv_b: !r1.weight<32768x512xf8E4M3FN, #r1.block_scaled<[128, 128]>>) -> tensor<?x128x128xf32> {
  %kv = r1.linear %latent, %kv_b : tensor<?x512xf32>, !r1.weight<32768x512xf8E4M3FN, #r1.block_scaled<[128, 128]>> -> tensor<?x32768xf32>
  %kvh = r1.reshape %kv : tensor<?x32768xf32> -> tensor<?x128x256xf32>
  %k_nope = r1.slice %kvh offset 0 size 128 : tensor<?x128x256xf32> -> tensor<?x128x128xf32>
  %k_pe4 = r1.broadcast %k_pe : tensor<?x1x64xf32> -> tensor<?x128x64xf32>
  %k = r1.concat %k_nope, %k_pe4 : (tensor<?x128x128xf32>, tensor<?x128x64xf32>) -> tensor<?x128x192xf32>
  %v = r1.slice %kvh offset 128 size 128 : tensor<?x128x256xf32> -> tensor<?x128x128xf32>
  %o = r1.attention %q, %k, %v, %positions layer 3 scale 0.1147 : (tensor<?x128x192xf32>, tensor<?x128x192xf32>, tensor<?x128x128xf32>, tensor<?xi32>) -> tensor<?x128x128xf32>
  return %o : tensor<?x128x128xf32>
}

// -----

// The expanded values are also read elsewhere: they must exist, so the
// attention is left alone.

// CHECK-LABEL: func.func @mla$shared_values
// CHECK-NOT: r1.mla
// CHECK: r1.attention
func.func @mla$shared_values(%q: tensor<?x4x48xf32>, %latent: tensor<?x64xf32>, %k_pe: tensor<?x1x16xf32>, %positions: tensor<?xi32>, %kv_b: !r1.weight<256x64xbf16>) -> (tensor<?x4x32xf32>, tensor<?x4x32xf32>) {
  %kv = r1.linear %latent, %kv_b : tensor<?x64xf32>, !r1.weight<256x64xbf16> -> tensor<?x256xf32>
  %kvh = r1.reshape %kv : tensor<?x256xf32> -> tensor<?x4x64xf32>
  %k_nope = r1.slice %kvh offset 0 size 32 : tensor<?x4x64xf32> -> tensor<?x4x32xf32>
  %k_pe4 = r1.broadcast %k_pe : tensor<?x1x16xf32> -> tensor<?x4x16xf32>
  %k = r1.concat %k_nope, %k_pe4 : (tensor<?x4x32xf32>, tensor<?x4x16xf32>) -> tensor<?x4x48xf32>
  %v = r1.slice %kvh offset 32 size 32 : tensor<?x4x64xf32> -> tensor<?x4x32xf32>
  %o = r1.attention %q, %k, %v, %positions layer 0 scale 0.27046755772176018 : (tensor<?x4x48xf32>, tensor<?x4x48xf32>, tensor<?x4x32xf32>, tensor<?xi32>) -> tensor<?x4x32xf32>
  return %o, %v : tensor<?x4x32xf32>, tensor<?x4x32xf32>
}

// -----

// Keys that are not [slice(kv, 0, nope) | broadcast(k_pe)] (here the value
// slice does not start where the key slice ends) are not MLA's.

// CHECK-LABEL: func.func @mla$gap
// CHECK-NOT: r1.mla
// CHECK: r1.attention
func.func @mla$gap(%q: tensor<?x4x48xf32>, %latent: tensor<?x64xf32>, %k_pe: tensor<?x1x16xf32>, %positions: tensor<?xi32>, %kv_b: !r1.weight<272x64xbf16>) -> tensor<?x4x32xf32> {
  %kv = r1.linear %latent, %kv_b : tensor<?x64xf32>, !r1.weight<272x64xbf16> -> tensor<?x272xf32>
  %kvh = r1.reshape %kv : tensor<?x272xf32> -> tensor<?x4x68xf32>
  %k_nope = r1.slice %kvh offset 0 size 32 : tensor<?x4x68xf32> -> tensor<?x4x32xf32>
  %k_pe4 = r1.broadcast %k_pe : tensor<?x1x16xf32> -> tensor<?x4x16xf32>
  %k = r1.concat %k_nope, %k_pe4 : (tensor<?x4x32xf32>, tensor<?x4x16xf32>) -> tensor<?x4x48xf32>
  %v = r1.slice %kvh offset 36 size 32 : tensor<?x4x68xf32> -> tensor<?x4x32xf32>
  %o = r1.attention %q, %k, %v, %positions layer 0 scale 0.27046755772176018 : (tensor<?x4x48xf32>, tensor<?x4x48xf32>, tensor<?x4x32xf32>, tensor<?xi32>) -> tensor<?x4x32xf32>
  return %o : tensor<?x4x32xf32>
}
