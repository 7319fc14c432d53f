//===- CompileCommand.cpp - r1c compile (placeholder until the driver) ----===//
#include "tools/r1c/Commands.h"
namespace r1c_tool {
CommandRunner addCompileCommand(CLI::App &) { return [] { return -1; }; }
} // namespace r1c_tool
