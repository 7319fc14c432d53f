//===- TargetsCommand.cpp - r1c targets: the figures of every target -------===//
//
// Prints the TargetSpecs table (compiler/TargetSpecs.cpp): per target its
// device, bandwidth, peak FLOP/s per type, SMs, shared memory, registers and
// residency limits per SM, tensor-core generation and FP8 support, and
// whether `r1c compile` accepts it; `--json` prints the same as JSON.
//
//===----------------------------------------------------------------------===//

#include "tools/r1c/Commands.h"

#include "compiler/TargetSpecs.h"
#include "compiler/Targets.h"

#include "llvm/Support/raw_ostream.h"

#include <nlohmann/json.hpp>

#include <memory>

namespace r1c_tool {

namespace {

int runTargets(bool json) {
  std::vector<std::string> compilable;
  for (const auto &[name, what] : r1::listTargets())
    compilable.push_back(name);
  if (!json) {
    r1::printTargetSpecs(r1::targetSpecs(), compilable, llvm::outs());
    llvm::outs().flush();
    return kSuccess;
  }
  nlohmann::json targets = nlohmann::json::array();
  for (const r1::TargetSpec &spec : r1::targetSpecs()) {
    nlohmann::json t = r1::targetSpecToJson(spec);
    t["compile"] = llvm::is_contained(compilable, spec.name);
    targets.push_back(std::move(t));
  }
  nlohmann::json out = {{"note", "datasheet figures (dense, no sparsity); sources in "
                                 "compiler/TargetSpecs.cpp"},
                        {"targets", std::move(targets)}};
  llvm::outs() << out.dump(2) << "\n";
  llvm::outs().flush();
  return kSuccess;
}

} // namespace

CommandRunner addTargetsCommand(CLI::App &app) {
  auto json = std::make_shared<bool>(false);
  CLI::App *targets = app.add_subcommand(
      "targets", "List the targets r1c knows with their figures: bandwidth, FLOP/s,\n"
                 "SMs, shared memory, registers, tensor cores, FP8");
  targets->add_flag("--json", *json, "Print the table as one JSON object");
  targets->footer(
      "Examples:\n"
      "  r1c targets\n"
      "  r1c targets --json\n"
      "Figures and their sources: compiler/TargetSpecs.cpp, docs/cuda.md, docs/plan.md.");
  return [targets, json]() -> int { return targets->parsed() ? runTargets(*json) : -1; };
}

} // namespace r1c_tool
