//===- CxxLiterals.h - Numbers written into generated C++ and CUDA --------===//
//
// The host and CUDA emitters bake model constants (eps, scales, RoPE
// frequencies) into generated source; a literal must read back as exactly
// the value the plan holds.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_CODEGEN_CXXLITERALS_H
#define R1C_CODEGEN_CXXLITERALS_H

#include <cstdio>
#include <string>

namespace r1 {

/// A C++ literal that reads back as exactly `value`: a float literal ("1e-06f",
/// 9 significant digits) when `asFloat`, else a double (17 digits).
inline std::string cxxFloatLiteral(double value, bool asFloat) {
  char text[64];
  std::snprintf(text, sizeof text, asFloat ? "%.9g" : "%.17g", value);
  std::string s = text;
  if (s.find_first_of(".en") == std::string::npos)
    s += ".0";
  return asFloat ? s + "f" : s;
}

} // namespace r1

#endif // R1C_CODEGEN_CXXLITERALS_H
