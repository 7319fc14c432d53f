//===- PreTokenizer.cpp - Splitting text into words with PCRE2 ------------===//

#include "runtime/tokenizer/PreTokenizer.h"

#include "runtime/tokenizer/Utf8.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <string>

namespace r1::runtime {

struct Regex::Code {
  pcre2_code *code = nullptr;
  bool jit = false;
  ~Code() { pcre2_code_free(code); }
};

namespace {

/// Per-thread match state: encode() is const and may run on many threads.
/// The JIT stack grows on demand up to 64 MiB (address space reserved, not
/// memory), enough for a multi-megabyte run of one character class.
struct MatchState {
  pcre2_match_data *data = pcre2_match_data_create(4, nullptr);
  pcre2_match_context *context = pcre2_match_context_create(nullptr);
  pcre2_jit_stack *stack = pcre2_jit_stack_create(64 * 1024, 64 * 1024 * 1024, nullptr);
  MatchState() {
    if (stack)
      pcre2_jit_stack_assign(context, nullptr, stack);
  }
  ~MatchState() {
    pcre2_jit_stack_free(stack);
    pcre2_match_context_free(context);
    pcre2_match_data_free(data);
  }
  MatchState(const MatchState &) = delete;
  MatchState &operator=(const MatchState &) = delete;
};

MatchState &matchState() {
  thread_local MatchState state;
  return state;
}

std::string pcre2Message(int code) {
  PCRE2_UCHAR buffer[256];
  if (pcre2_get_error_message(code, buffer, sizeof(buffer)) < 0)
    return "PCRE2 error " + std::to_string(code);
  return reinterpret_cast<const char *>(buffer);
}

} // namespace

Result<Regex> Regex::compile(std::string_view pattern, bool literal) {
  uint32_t options = PCRE2_UTF | PCRE2_UCP | (literal ? PCRE2_LITERAL : 0);
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code *code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   options, &error, &offset, nullptr);
  if (!code)
    return Status::badInput("is not a valid regex: " + pcre2Message(error) + " at offset " +
                            std::to_string(offset));
  auto compiled = std::make_shared<Code>();
  compiled->code = code;
  // Without a JIT (an unsupported CPU, or SELinux forbidding executable
  // memory) the interpreter gives the same matches, more slowly.
  compiled->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  Regex regex;
  regex.code_ = std::move(compiled);
  return regex;
}

bool Regex::find(std::string_view subject, size_t start, size_t &begin, size_t &end) const {
  MatchState &state = matchState();
  const auto *bytes = reinterpret_cast<PCRE2_SPTR>(subject.data());
  while (start <= subject.size()) {
    int rc = code_->jit ? pcre2_jit_match(code_->code, bytes, subject.size(), start, 0, state.data,
                                          state.context)
                        : pcre2_match(code_->code, bytes, subject.size(), start, PCRE2_NO_UTF_CHECK,
                                      state.data, state.context);
    // No match, or a resource limit hit (the rest stays one piece).
    if (rc < 0)
      return false;
    const PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(state.data);
    begin = ovector[0];
    end = ovector[1];
    if (end > begin)
      return true;
    // An empty match splits nothing: look again one character on.
    if (begin >= subject.size())
      return false;
    size_t next = begin;
    utf8::next(subject, next);
    start = next;
  }
  return false;
}

Result<PreTokenizer> PreTokenizer::create(const std::vector<PreTokenizerStep> &steps,
                                          std::string_view file) {
  PreTokenizer pre;
  for (const PreTokenizerStep &spec : steps) {
    Step step{spec.kind, spec.behavior, spec.addPrefixSpace, spec.useRegex, Regex()};
    if (spec.kind == PreTokenizerStep::Kind::kSplit || spec.useRegex) {
      Result<Regex> regex = Regex::compile(spec.pattern, spec.literal);
      if (!regex.ok())
        return Status::badInput(std::string(file) + ": field \"" + spec.field + "\" " +
                                regex.status().message());
      step.regex = std::move(*regex);
    }
    pre.steps_.push_back(std::move(step));
  }
  return pre;
}

void PreTokenizer::split(std::string_view text, FunctionRef<void(std::string_view)> onPiece) const {
  if (!text.empty())
    apply(0, text, onPiece);
}

void PreTokenizer::apply(size_t index, std::string_view piece,
                         FunctionRef<void(std::string_view)> onPiece) const {
  if (index == steps_.size()) {
    onPiece(piece);
    return;
  }
  const Step &step = steps_[index];
  auto next = [&](std::string_view part) { apply(index + 1, part, onPiece); };

  std::string prefixed;
  if (step.kind == PreTokenizerStep::Kind::kByteLevel) {
    if (step.addPrefixSpace && piece.front() != ' ') {
      prefixed.reserve(piece.size() + 1);
      prefixed.append(1, ' ').append(piece);
      piece = prefixed;
    }
    if (!step.useRegex) {
      next(piece);
      return;
    }
  }
  bool keepMatches = step.behavior == PreTokenizerStep::Behavior::kIsolated;
  size_t done = 0, begin = 0, end = 0;
  while (done < piece.size() && step.regex.find(piece, done, begin, end)) {
    if (begin > done)
      next(piece.substr(done, begin - done));
    if (keepMatches)
      next(piece.substr(begin, end - begin));
    done = end;
  }
  if (done < piece.size())
    next(piece.substr(done));
}

} // namespace r1::runtime
