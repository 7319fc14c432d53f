//===- Version.h - The r1c version ----------------------------------------===//
#ifndef R1C_COMPILER_VERSION_H
#define R1C_COMPILER_VERSION_H

namespace r1 {
/// Recorded in every artifact's manifest ("producer") and code identity.
inline constexpr const char *kR1cVersion = "0.3.0";
} // namespace r1

#endif // R1C_COMPILER_VERSION_H
