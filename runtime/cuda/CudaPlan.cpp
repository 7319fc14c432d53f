//===- CudaPlan.cpp - The launch plan of a CUDA artifact ------------------===//

#include "runtime/cuda/CudaPlan.h"

#include "runtime/ManifestFields.h"

#include <nlohmann/json.hpp>

#include <map>

namespace r1::runtime {

using nlohmann::json;

namespace {

void parseKernels(ManifestFields &f, const json &list, CudaPlan &plan,
                  std::map<std::string, size_t> &index) {
  for (size_t i = 0; i < list.size() && f.ok(); ++i) {
    std::string at = ManifestFields::index("cuda.kernels", i);
    if (!list[i].is_object()) {
      f.error(at, "must be an object");
      return;
    }
    const json &k = list[i];
    PlanKernel kernel;
    kernel.name = f.string(k, at, "name").value_or("");
    kernel.threads = unsigned(f.unsignedInt(k, at, "threads", true, 1024).value_or(0));
    std::vector<uint64_t> grid =
        f.unsignedList(k, at, "grid", true, UINT32_MAX).value_or(std::vector<uint64_t>{});
    kernel.rowsPerBlock = f.unsignedInt(k, at, "rows_per_block", true, UINT32_MAX).value_or(1);
    kernel.rowsScale = f.unsignedInt(k, at, "rows_scale", false, 65536).value_or(1);
    kernel.rowsCap = f.unsignedInt(k, at, "rows_cap", false, UINT32_MAX).value_or(0);
    kernel.dynamicSharedBytes =
        f.unsignedInt(k, at, "dynamic_shared_bytes", true, 227 * 1024).value_or(0);
    const json *rowsDim = f.member(k, at, "rows_dim");
    if (!f.ok())
      return;
    if (!rowsDim->is_number_integer() || rowsDim->get<int64_t>() < -1 ||
        rowsDim->get<int64_t>() > 2)
      return f.error(ManifestFields::join(at, "rows_dim"), "must be -1, 0, 1 or 2");
    kernel.rowsDim = int(rowsDim->get<int64_t>());
    if (grid.size() != 3 || grid[0] == 0 || grid[1] == 0 || grid[2] == 0)
      return f.error(ManifestFields::join(at, "grid"), "must be three positive integers");
    if (kernel.threads == 0 || kernel.rowsPerBlock == 0 || kernel.rowsScale == 0)
      return f.error(at, "needs threads, rows_per_block and rows_scale of at least 1");
    kernel.grid = {grid[0], grid[1], grid[2]};
    if (!index.emplace(kernel.name, plan.kernels.size()).second)
      return f.error(ManifestFields::join(at, "name"), "repeats kernel " + kernel.name);
    plan.kernels.push_back(std::move(kernel));
  }
}

PlanArg parseArg(ManifestFields &f, const json &arg, const std::string &at, const ModelManifest &m) {
  PlanArg a;
  if (arg.is_string()) {
    std::string name = arg.get<std::string>();
    static const std::map<std::string, PlanArg::Kind> kinds = {
        {"tokens", PlanArg::Kind::Tokens}, {"positions", PlanArg::Kind::Positions},
        {"blocks", PlanArg::Kind::Blocks},
        {"logits", PlanArg::Kind::Logits}, {"rows", PlanArg::Kind::Rows},
        {"null", PlanArg::Kind::Null}};
    auto found = kinds.find(name);
    if (found == kinds.end())
      f.error(at, "is an unknown argument \"" + name + "\"");
    else
      a.kind = found->second;
    return a;
  }
  if (!arg.is_object()) {
    f.error(at, "must be a string or an object");
    return a;
  }
  if (arg.contains("arena")) {
    a.kind = PlanArg::Kind::Arena;
    a.value = f.unsignedInt(arg, at, "arena").value_or(0);
    a.lastRowsOf = f.unsignedInt(arg, at, "last_rows_of", false).value_or(0);
    if (f.ok() && a.value >= m.arenaBytes)
      f.error(ManifestFields::join(at, "arena"),
              "is outside the arena (" + std::to_string(m.arenaBytes) + " bytes)");
  } else if (arg.contains("weight")) {
    a.kind = PlanArg::Kind::Weight;
    a.value = f.unsignedInt(arg, at, "weight").value_or(0);
    if (f.ok() && a.value >= m.weights.size())
      f.error(ManifestFields::join(at, "weight"),
              "is not a weight index (" + std::to_string(m.weights.size()) + " weights)");
  } else if (arg.contains("kv")) {
    a.kind = PlanArg::Kind::Kv;
    a.value = f.unsignedInt(arg, at, "kv").value_or(0);
    if (f.ok() && a.value * 4 >= m.kvBytesPerToken)
      f.error(ManifestFields::join(at, "kv"),
              "is outside the KV cache's " + std::to_string(m.kvBytesPerToken) +
                  " bytes per token");
  } else {
    f.error(at, "must have \"arena\", \"weight\" or \"kv\"");
  }
  return a;
}

void parsePhase(ManifestFields &f, const json &cuda, const char *phase,
                const std::map<std::string, size_t> &index, const ModelManifest &m,
                std::vector<PlanLaunch> &out) {
  std::string path = std::string("cuda.") + phase;
  const json *list = f.array(cuda, "cuda", phase);
  for (size_t i = 0; list && f.ok() && i < list->size(); ++i) {
    std::string at = ManifestFields::index(path, i);
    const json &l = (*list)[i];
    if (!l.is_object())
      return f.error(at, "must be an object");
    PlanLaunch launch;
    std::string kernel = f.string(l, at, "kernel").value_or("");
    std::string rows = f.string(l, at, "rows").value_or("");
    const json *args = f.array(l, at, "args");
    if (!f.ok())
      return;
    auto found = index.find(kernel);
    if (found == index.end())
      return f.error(ManifestFields::join(at, "kernel"), "names no kernel of cuda.kernels");
    if (rows != "tokens" && rows != "logits")
      return f.error(ManifestFields::join(at, "rows"), "must be \"tokens\" or \"logits\"");
    launch.kernel = found->second;
    launch.logitsRows = rows == "logits";
    for (size_t j = 0; j < args->size() && f.ok(); ++j)
      launch.args.push_back(parseArg(f, (*args)[j], ManifestFields::index(at + ".args", j), m));
    out.push_back(std::move(launch));
  }
}

} // namespace

Result<CudaPlan> parseCudaPlan(const json &manifest, const ModelManifest &m,
                               const std::string &file) {
  ManifestFields f(file);
  CudaPlan plan;
  const json *cuda = f.object(manifest, "", "cuda");
  const json *kernels = cuda ? f.array(*cuda, "cuda", "kernels") : nullptr;
  std::map<std::string, size_t> index;
  if (kernels)
    parseKernels(f, *kernels, plan, index);
  if (cuda && f.ok()) {
    parsePhase(f, *cuda, "prefill", index, m, plan.prefill);
    parsePhase(f, *cuda, "decode", index, m, plan.decode);
    plan.emulationSection = f.string(*cuda, "cuda", "emulation_section", false).value_or("");
    if (std::optional<std::string> sampler = f.string(*cuda, "cuda", "sampler", false);
        sampler && f.ok()) {
      auto found = index.find(*sampler);
      if (found == index.end())
        f.error("cuda.sampler", "names no kernel of cuda.kernels");
      else if (plan.kernels[found->second].grid != std::array<uint64_t, 3>{1, 1, 1})
        f.error("cuda.sampler", "must be a kernel of one block");
      else
        plan.sampler = found->second;
    }
  }
  if (f.ok() && (plan.prefill.empty() || plan.decode.empty()))
    f.error("cuda.prefill", "and cuda.decode must each list at least one launch");
  if (!f.ok())
    return f.status();
  return plan;
}

} // namespace r1::runtime
