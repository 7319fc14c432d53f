//===- ChatPrompt.cpp - From the user's words to prompt token ids ---------===//

#include "runtime/ChatPrompt.h"

namespace r1::runtime {

Result<R1ChatTokens> chatTokensFor(const Tokenizer &tok, const std::string &source) {
  R1ChatTokens tokens;
  for (const std::string *name : {&tokens.user, &tokens.assistant, &tokens.endOfSentence})
    if (!tok.tokenId(*name))
      return Status::badInput(source + ": the tokenizer has no '" + *name +
                              "' token, so it cannot take R1's chat format (DeepSeek-R1/V3 and "
                              "the R1-Distill tokenizers have it); use 'r1run ARTIFACT --tokens' "
                              "for raw ids");
  if (std::optional<int32_t> bos = tok.bosId())
    if (std::optional<std::string> text = tok.tokenText(*bos))
      tokens.bos = *text;
  return tokens;
}

Result<std::vector<int32_t>> promptIds(const Tokenizer &tokenizer, const R1ChatTokens &tokens,
                                       const std::vector<ChatMessage> &messages, bool thinkPrefix,
                                       std::vector<std::string> *notices, std::string *text) {
  ChatRenderOptions options;
  options.tokens = tokens;
  options.thinkPrefix = thinkPrefix;
  Result<RenderedPrompt> rendered = renderR1Prompt(messages, options);
  if (!rendered.ok())
    return rendered.status();
  if (notices)
    *notices = rendered->notices;
  if (text)
    *text = rendered->text;
  return tokenizer.encode(rendered->text, /*parseSpecial=*/true);
}

} // namespace r1::runtime
