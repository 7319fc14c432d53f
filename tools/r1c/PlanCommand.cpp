//===- PlanCommand.cpp - r1c plan: a memory and speed ESTIMATE for a config ===//

#include "tools/r1c/Commands.h"

#include "compiler/Planner.h"

#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <optional>
#include <string>

namespace r1c_tool {

namespace {

struct PlanArgs {
  r1::PlanOptions options;
  int64_t ctx = 0; // 0: the default
  bool json = false;
};

int runPlan(PlanArgs &args) {
  if (args.ctx != 0)
    args.options.ctx = args.ctx;
  mlir::MLIRContext context(mlir::MLIRContext::Threading::DISABLED);
  llvm::Expected<r1::Plan> plan = r1::planModel(context, args.options);
  if (!plan) {
    // Flag errors are usage errors; everything else is the config's.
    std::string message = llvm::toString(plan.takeError());
    int code = llvm::StringRef(message).starts_with("--") ? kUsage : kBadInput;
    return report(llvm::createStringError(llvm::inconvertibleErrorCode(), message), code);
  }
  if (args.json)
    llvm::outs() << r1::planToJson(*plan).dump(2) << "\n";
  else
    r1::printPlan(*plan, llvm::outs());
  llvm::outs().flush();
  return kSuccess;
}

} // namespace

CommandRunner addPlanCommand(CLI::App &app) {
  auto args = std::make_shared<PlanArgs>();
  CLI::App *plan = app.add_subcommand(
      "plan", "ESTIMATE the memory (weights, KV cache, activations) and decode/prefill\n"
              "rooflines of a config on a target; arithmetic, not a measurement");
  plan->add_option("CONFIG", args->options.configPath,
                   "config.json of a supported model, or a model directory holding one")
      ->required();
  std::vector<std::string> names;
  for (const r1::TargetSpec &spec : r1::targetSpecs())
    names.push_back(spec.name);
  plan->add_option("--target", args->options.target,
                   "host (this 2-core Zen 4 machine), host-x86-64-v3, sm_80 (A100 80GB),\n"
                   "sm_89 (L40S), sm_90a (H100 SXM), sm_100a (HGX B200). Default host")
      ->option_text(llvm::join(names, "|"));
  plan->add_option("--gpus", args->options.gpus,
                   "Devices the model is split over; bandwidth and FLOP/s scale linearly\n"
                   "(an upper bound). Default 1; host targets take only 1")
      ->option_text("N");
  plan->add_option("--ctx", args->ctx,
                   "Context length the KV cache is sized for; decode reads it at ctx/2.\n"
                   "Default min(max_position_embeddings, 32768)")
      ->option_text("N");
  plan->add_option("--max-step-tokens", args->options.maxStepTokens,
                   "Rows of one step, for activations and the step roofline (default 256)")
      ->option_text("N");
  plan->add_flag("--json", args->json, "Print the plan as one JSON object");
  plan->footer("Examples:\n"
               "  r1c plan models/configs/DeepSeek-R1.json --target sm_90a --gpus 8\n"
               "  r1c plan models/configs/DeepSeek-R1-Distill-Qwen-1.5B.json --json\n"
               "Figures and formulas: docs/plan.md. Target figures: compiler/TargetSpecs.cpp.");
  return [plan, args]() -> int { return plan->parsed() ? runPlan(*args) : -1; };
}

} // namespace r1c_tool
