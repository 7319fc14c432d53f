//===- ReasoningSplitter.h - Reasoning vs answer in streamed R1 output ----===//
//
// R1's output is "reasoning</think>answer" when the prompt opened the think
// block (the default), or "<think>reasoning</think>answer" when the model
// opens it itself. The splitter is fed the generated text piece by piece
// and routes each piece to the reasoning or the answer, holding back only
// text that may be the start of a tag split across pieces. The cases users
// report with other engines are defined here:
//   - no "</think>" at all: everything is reasoning when the prompt opened
//     the block (the model never finished thinking), else the answer;
//   - "</think>" without an opening tag: what came before is reasoning;
//   - an empty block ("<think>\n\n</think>"): empty reasoning;
//   - a "<think>" the model writes at the very start (after whitespace) is
//     dropped and opens the block (with or without the prompt's);
//   - without the prompt's "<think>\n" and without the model's, the output
//     is the answer (a later "</think>" stays text: it cannot be told apart
//     once streamed);
//   - whitespace right after "</think>" is not part of the answer.
//
//===----------------------------------------------------------------------===//
#ifndef R1C_RUNTIME_CHAT_REASONINGSPLITTER_H
#define R1C_RUNTIME_CHAT_REASONINGSPLITTER_H

#include <string>
#include <string_view>

namespace r1::runtime {

/// Text to show, split by where it belongs.
struct SplitText {
  std::string reasoning;
  std::string answer;
};

class ReasoningSplitter {
public:
  /// `promptOpenedThink`: the prompt ended with "<think>\n".
  explicit ReasoningSplitter(bool promptOpenedThink);

  /// The parts of `piece` (plus any held text) that are now certain.
  SplitText feed(std::string_view piece);
  /// At the end of generation: whatever is still held.
  SplitText finish();

  /// Whether "</think>" has been seen (the answer has started).
  bool inAnswer() const { return state_ == State::Answer; }

private:
  enum class State { Start, Reasoning, Answer };
  SplitText drain(bool final);

  State state_ = State::Start;
  bool promptOpenedThink_;
  bool answerStarted_ = false; // a non-whitespace answer character was emitted
  std::string held_;
};

} // namespace r1::runtime

#endif // R1C_RUNTIME_CHAT_REASONINGSPLITTER_H
