//===- SynthCommand.cpp - r1c synth (placeholder until compiler/Synth) ----===//
#include "tools/r1c/Commands.h"
namespace r1c_tool {
CommandRunner addSynthCommand(CLI::App &) { return [] { return -1; }; }
} // namespace r1c_tool
