//===- TokenizerSource.cpp - The tokenizer of an artifact or a model dir --===//

#include "runtime/TokenizerSource.h"

#include "runtime/ArtifactReader.h"
#include "runtime/Manifest.h"

#include <filesystem>

namespace r1::runtime {

Result<Tokenizer> loadTokenizer(const std::string &source) {
  std::error_code error;
  if (std::filesystem::is_directory(source, error))
    return Tokenizer::fromDirectory(source);
  Result<std::unique_ptr<ArtifactReader>> reader = ArtifactReader::open(source);
  if (!reader.ok())
    return reader.status();
  const ArtifactReader &artifact = **reader;
  Result<ModelManifest> manifest = parseModelManifest(artifact.manifest(), source);
  if (!manifest.ok())
    return manifest.status();
  // The manifest's "tokenizer" maps file names to sections; without it, the
  // sections are named after the files.
  auto section = [&](const std::string &file) -> const ArtifactSection * {
    auto it = manifest->tokenizerSections.find(file);
    return artifact.findSection(it == manifest->tokenizerSections.end() ? file : it->second);
  };
  const ArtifactSection *tokenizerJson = section("tokenizer.json");
  if (!tokenizerJson)
    return Status::badInput(source +
                            ": has no tokenizer.json section; compile from a model directory "
                            "that has tokenizer.json, or give the model directory instead");
  const ArtifactSection *configJson = section("tokenizer_config.json");
  for (const ArtifactSection *s : {tokenizerJson, configJson})
    if (s)
      if (Status status = artifact.verifySection(*s); !status.ok())
        return status;
  auto text = [](const ArtifactSection *s) {
    return s ? std::string_view(reinterpret_cast<const char *>(s->data), s->bytes)
             : std::string_view();
  };
  return Tokenizer::fromJson(text(tokenizerJson), text(configJson), source);
}

} // namespace r1::runtime
