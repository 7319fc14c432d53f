// RUN: r1c-opt %s --split-input-file --verify-diagnostics --r1-select-weight-layout="quant=int4 quant-group=128" -o /dev/null

// Groups must divide a projection's input columns.

// expected-error @+1 {{has 96 input columns, not a multiple of the quant group 128; choose a group that divides it}}
r1.weight @w : !r1.weight<64x96xbf16> = "w"
func.func @narrow(%x: tensor<?x96xf32>) -> tensor<?x64xf32> {
  %w = r1.weight.get @w : !r1.weight<64x96xbf16>
  %y = r1.linear %x, %w : tensor<?x96xf32>, !r1.weight<64x96xbf16> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// A weight that is already integer is not converted again.

// expected-error @+1 {{is already group_scaled; r1c does not convert it again}}
r1.weight @w : !r1.weight<64x128xi4, #r1.group_scaled<32, f16>> = "w" from !r1.weight<64x128xbf16>
func.func @twice(%x: tensor<?x128xf32>) -> tensor<?x64xf32> {
  %w = r1.weight.get @w : !r1.weight<64x128xi4, #r1.group_scaled<32, f16>>
  %y = r1.linear %x, %w : tensor<?x128xf32>, !r1.weight<64x128xi4, #r1.group_scaled<32, f16>> -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
