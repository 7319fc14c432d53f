//===- AmxPermission.h - Whether this process may use AMX tiles -----------===//
//
// One rule, shared by the host kernels (codegen/host/kernels/GemmAmx.h,
// which r1c embeds with this header, as with R1Abi.h) and by r1run, which
// reports what the kernels will do: the CPU has amx-tile and amx-bf16,
// Linux grants the tile state (arch_prctl ARCH_REQ_XCOMP_PERM; it keeps it
// off until a process asks), and R1_NO_AMX is unset or "0" (for
// comparisons). Header-only and free of intrinsics, so that code built
// without AMX flags can ask too.
//
//===----------------------------------------------------------------------===//
#ifndef R1_AMXPERMISSION_H
#define R1_AMXPERMISSION_H

#include <cstdlib>
#include <string_view>

#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace r1 {

/// See the file comment. Asked once per process.
inline bool amxPermitted() {
  static const bool permitted = [] {
    const char *off = std::getenv("R1_NO_AMX");
    if (off && *off && std::string_view(off) != "0")
      return false;
#if defined(__linux__) && defined(__x86_64__)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("amx-tile") || !__builtin_cpu_supports("amx-bf16"))
      return false;
    constexpr long kReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, kReqXcompPerm, kXfeatureXtiledata) == 0;
#else
    return false;
#endif
  }();
  return permitted;
}

} // namespace r1

#endif // R1_AMXPERMISSION_H
