//===- InspectCommand.cpp - r1c inspect: what an artifact's code holds ----===//
//
// For a CUDA artifact: the target, the toolkit, and every kernel with its
// launch geometry and the resources ptxas reported (registers, spills, shared
// memory, occupancy), as the compile recorded them in the manifest; --ptx
// NAME prints one kernel's PTX from the fatbin, the same text Triton-style
// tooling reads. For a host artifact: the target and the kernel list.
//
//===----------------------------------------------------------------------===//

#include "tools/r1c/Commands.h"

#include "compiler/FatbinReader.h"
#include "compiler/PtxOverride.h"
#include "runtime/ArtifactReader.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <nlohmann/json.hpp>

#include <memory>

namespace r1c_tool {

namespace {

using nlohmann::json;

struct InspectArgs {
  std::string artifact;
  bool json = false;
  std::string ptx;
};

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The kernel's PTX from the fatbin: the module header and its .entry.
llvm::Expected<std::string> kernelPtx(const r1::runtime::ArtifactReader &reader,
                                      const json &manifest, const std::string &kernel) {
  std::string section = manifest["code"].value("section", "code");
  const r1::runtime::ArtifactSection *code = reader.findSection(section);
  if (!code)
    return fail(reader.path() + ": no section \"" + section + "\"");
  llvm::ArrayRef<char> bytes(reinterpret_cast<const char *>(code->data), code->bytes);
  llvm::Expected<std::vector<r1::FatbinImage>> images = r1::readFatbinImages(bytes);
  if (!images)
    return fail(reader.path() + ": the code section is not a fatbin: " +
                llvm::toString(images.takeError()));
  for (const r1::FatbinImage &image : *images) {
    if (image.kind != "ptx")
      continue;
    if (image.compressed)
      return fail(reader.path() + ": the fatbin's PTX is compressed; recompile the artifact "
                                  "with this r1c");
    llvm::StringRef text(bytes.data() + image.payloadOffset, image.payloadBytes);
    text = text.take_until([](char c) { return c == '\0'; });
    llvm::Expected<std::pair<std::string, std::vector<std::string>>> entry =
        r1::findPtxEntry(text, kernel);
    if (!entry)
      return fail(reader.path() + ": " + llvm::toString(entry.takeError()) +
                  "; `r1c inspect` lists the kernels");
    std::string header;
    llvm::SmallVector<llvm::StringRef> lines;
    text.split(lines, '\n');
    for (llvm::StringRef line : lines) {
      llvm::StringRef t = line.trim();
      if (t.starts_with(".version") || t.starts_with(".target") || t.starts_with(".address_size"))
        header += t.str() + "\n";
    }
    return "// " + kernel + " (" + image.arch + "), from " + reader.path() + "\n" + header +
           "\n" + entry->first + "\n";
  }
  return fail(reader.path() + ": the fatbin holds no PTX");
}

int runInspect(const InspectArgs &args) {
  auto reader = r1::runtime::ArtifactReader::open(args.artifact);
  if (!reader.ok())
    return report(fail(reader.status().message()), kBadInput);
  const json &m = (*reader)->manifest();
  json target = m.value("target", json::object());
  bool cuda = m.contains("cuda") && m["cuda"].is_object();
  if (!args.ptx.empty()) {
    if (!cuda)
      return report(fail(args.artifact + " is a host artifact; --ptx applies to CUDA artifacts"),
                    kBadInput);
    llvm::Expected<std::string> ptx = kernelPtx(**reader, m, args.ptx);
    if (!ptx)
      return report(ptx.takeError(), kBadInput);
    llvm::outs() << *ptx;
    llvm::outs().flush();
    return kSuccess;
  }
  try {
    json out = {{"artifact", args.artifact},
                {"target", target.value("name", "")},
                {"kind", target.value("kind", "host")}};
    json kernels = json::array();
    if (cuda) {
      const json &c = m["cuda"];
      out["toolkit"] = c.value("toolkit", "");
      for (const json &k : c["kernels"])
        kernels.push_back({{"name", k["name"]},
                           {"phase", k.value("phase", "both")},
                           {"threads", k["threads"]},
                           {"grid", k["grid"]},
                           {"registers", k.value("registers", 0)},
                           {"spill_stores", k.value("spill_stores", 0)},
                           {"spill_loads", k.value("spill_loads", 0)},
                           {"shared_bytes", k.value("shared_bytes", 0)},
                           {"occupancy", k.value("occupancy", 0.0)},
                           {"overridden", k.value("overridden", false)}});
      out["launches"] = {{"prefill", c["prefill"].size()}, {"decode", c["decode"].size()}};
      out["emulation"] = c.contains("emulation_section");
    } else {
      for (const json &k : m["code"].value("kernels", json::array()))
        kernels.push_back({{"name", k["name"]}, {"kind", k["kind"]}});
    }
    out["kernels"] = kernels;
    if (args.json) {
      llvm::outs() << out.dump(2) << "\n";
      llvm::outs().flush();
      return kSuccess;
    }
    llvm::outs() << args.artifact << ": " << out["kind"].get<std::string>() << " code for "
                 << out["target"].get<std::string>();
    if (!cuda) {
      llvm::outs() << ", " << kernels.size() << " kernels\n";
      for (const json &k : kernels)
        llvm::outs() << "  " << k["name"].get<std::string>() << " ("
                     << k["kind"].get<std::string>() << ")\n";
      llvm::outs().flush();
      return kSuccess;
    }
    llvm::outs() << " (CUDA " << out["toolkit"].get<std::string>() << "), " << kernels.size()
                 << " kernels, " << out["launches"]["prefill"].get<size_t>()
                 << " launches per prefill step, " << out["launches"]["decode"].get<size_t>()
                 << " per decode step" << (out["emulation"].get<bool>() ? "; emulation code" : "")
                 << "\n";
    llvm::outs() << llvm::formatv("  {0,-28} {1,-7} {2,7} {3,5} {4,12} {5,8} {6,6}\n", "kernel",
                                  "phase", "threads", "regs", "spills st/ld", "smem", "occ");
    for (const json &k : kernels) {
      std::string spills = std::to_string(k["spill_stores"].get<int64_t>()) + "/" +
                           std::to_string(k["spill_loads"].get<int64_t>());
      llvm::outs() << llvm::formatv(
          "  {0,-28} {1,-7} {2,7} {3,5} {4,12} {5,8} {6,5:P0}{7}\n",
          k["name"].get<std::string>(), k["phase"].get<std::string>(), k["threads"].get<int>(),
          k["registers"].get<int64_t>(), spills, k["shared_bytes"].get<int64_t>(),
          k["occupancy"].get<double>(), k["overridden"].get<bool>() ? "  (overridden)" : "");
    }
  } catch (const json::exception &e) {
    return report(fail(args.artifact + ": the manifest is not what r1c writes: " + e.what()),
                  kBadInput);
  }
  llvm::outs().flush();
  return kSuccess;
}

} // namespace

CommandRunner addInspectCommand(CLI::App &app) {
  auto args = std::make_shared<InspectArgs>();
  CLI::App *inspect = app.add_subcommand(
      "inspect", "Show what an artifact's code holds: its target and kernels; for CUDA\n"
                 "artifacts each kernel's registers, spills, shared memory and occupancy");
  inspect->add_option("ARTIFACT", args->artifact, "An artifact (r1c compile -o ARTIFACT)")
      ->required();
  inspect->add_flag("--json", args->json, "Print one JSON object");
  inspect->add_option("--ptx", args->ptx, "Print the PTX of kernel NAME (CUDA artifacts)")
      ->option_text("NAME");
  inspect->footer("Examples:\n"
                  "  r1c inspect qwen-sm90a.r1\n"
                  "  r1c inspect qwen-sm90a.r1 --json\n"
                  "  r1c inspect qwen-sm90a.r1 --ptx linear_1_gemm > linear_1_gemm.ptx");
  return [inspect, args]() -> int { return inspect->parsed() ? runInspect(*args) : -1; };
}

} // namespace r1c_tool
