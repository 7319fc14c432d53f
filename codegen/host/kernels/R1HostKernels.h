//===- R1HostKernels.h - The host CPU kernel templates (umbrella) ---------===//
//
// Included by the C++ that r1c generates per model, in which every model
// dimension is a template argument. Header-only; needs only the standard
// library, <immintrin.h> and R1Abi.h. See README.md in this directory.
//
//===----------------------------------------------------------------------===//
#ifndef R1HK_R1HOSTKERNELS_H
#define R1HK_R1HOSTKERNELS_H

#include "Attention.h"
#include "Elementwise.h"
#include "Exec.h"
#include "Linear.h"
#include "Mla.h"
#include "Moe.h"
#include "Norm.h"
#include "Quant.h"
#include "Reshape.h"
#include "Rope.h"

#endif // R1HK_R1HOSTKERNELS_H
