// RUN: r1c-opt %s --r1-lower-to-kernels=keep-mtp=true | FileCheck %s --check-prefix=KEEP
// RUN: r1c-opt %s --r1-lower-to-kernels | FileCheck %s --check-prefix=DROP

// @forward returns (logits, hidden) to feed @mtp. The step ignores the hidden
// state; with keep-mtp the weights only @mtp reads are packed after the step's
// and marked `mtp`, and weights both read (the embedding) are packed once.

// KEEP-LABEL: func.func @step
// KEEP-NOT: func.func @mtp
// KEEP-DAG: r1k.packed_weight @"embed:bf16" : !r1.weight<100x8xbf16> = [@embed]{{$}}
// KEEP-DAG: r1k.packed_weight @"eh:bf16" : !r1.weight<8x16xbf16> = [@eh] {mtp}

// DROP-LABEL: func.func @step
// DROP-NOT: @"eh:bf16"
// DROP-NOT: func.func @mtp
module {
  r1.weight @embed : !r1.weight<100x8xbf16> = "embed"
  r1.weight @eh : !r1.weight<8x16xbf16> = "eh"
  func.func @forward(%tokens: tensor<?xi32>, %pos: tensor<?xi32>) -> (tensor<?x100xf32>, tensor<?x8xf32>) {
    %we = r1.weight.get @embed : !r1.weight<100x8xbf16>
    %x = r1.embed %tokens, %we : (tensor<?xi32>, !r1.weight<100x8xbf16>) -> tensor<?x8xf32>
    %logits = r1.linear %x, %we : tensor<?x8xf32>, !r1.weight<100x8xbf16> -> tensor<?x100xf32>
    return %logits, %x : tensor<?x100xf32>, tensor<?x8xf32>
  }
  func.func @mtp(%hidden: tensor<?x8xf32>, %tokens: tensor<?xi32>, %pos: tensor<?xi32>) -> tensor<?x100xf32> {
    %we = r1.weight.get @embed : !r1.weight<100x8xbf16>
    %e = r1.embed %tokens, %we : (tensor<?xi32>, !r1.weight<100x8xbf16>) -> tensor<?x8xf32>
    %c = r1.concat %e, %hidden : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x16xf32>
    %weh = r1.weight.get @eh : !r1.weight<8x16xbf16>
    %h = r1.linear %c, %weh : tensor<?x16xf32>, !r1.weight<8x16xbf16> -> tensor<?x8xf32>
    %logits = r1.linear %h, %we : tensor<?x8xf32>, !r1.weight<100x8xbf16> -> tensor<?x100xf32>
    return %logits : tensor<?x100xf32>
  }
}
