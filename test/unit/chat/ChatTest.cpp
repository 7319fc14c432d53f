//===- ChatTest.cpp - R1 prompt rendering, official prompts, reasoning split ===//

#include "runtime/chat/BoxedAnswer.h"
#include "runtime/chat/ChatFormat.h"
#include "runtime/chat/OfficialPrompts.h"
#include "runtime/chat/ReasoningSplitter.h"

#include <gtest/gtest.h>

namespace r1::runtime {
namespace {

std::vector<ChatMessage> twoTurns() {
  return {{"user", "What is 1+1?"},
          {"assistant", "<think>\nOne plus one.\n</think>\n\nIt is 2."},
          {"user", "And 2+2?"}};
}

TEST(ChatFormat, TwoTurnConversationIsTheR1FormatExactly) {
  Result<RenderedPrompt> p = renderR1Prompt(twoTurns(), {});
  ASSERT_TRUE(p.ok()) << p.status().message();
  // The earlier answer keeps only the text after </think>; the generation
  // prompt opens the think block.
  EXPECT_EQ(p->text, "<｜begin▁of▁sentence｜><｜User｜>What is 1+1?<｜Assistant｜>\n\nIt is "
                     "2.<｜end▁of▁sentence｜><｜User｜>And 2+2?<｜Assistant｜><think>\n");
  EXPECT_TRUE(p->notices.empty());
}

TEST(ChatFormat, NoThinkPrefixAndTheTokenizersBos) {
  ChatRenderOptions options;
  options.thinkPrefix = false;
  options.tokens.bos = "<|begin_of_text|>";
  Result<RenderedPrompt> p = renderR1Prompt({{"user", "hi"}}, options);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->text, "<|begin_of_text|><｜User｜>hi<｜Assistant｜>");
}

TEST(ChatFormat, SystemPromptIsFoldedIntoTheFirstUserTurnWithANotice) {
  Result<RenderedPrompt> p = renderR1Prompt(
      {{"system", "Be brief."}, {"system", "Use French."}, {"user", "Hello"}}, {});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->text, "<｜begin▁of▁sentence｜><｜User｜>Be brief.\n\nUse French.\n\nHello"
                     "<｜Assistant｜><think>\n");
  ASSERT_EQ(p->notices.size(), 1u);
  EXPECT_NE(p->notices[0].find("folded into the first user turn"), std::string::npos);
}

TEST(ChatFormat, AnswerPartTakesTheTextAfterTheLastThinkEnd) {
  EXPECT_EQ(answerPart("a</think>b</think>c"), "c");
  EXPECT_EQ(answerPart("no tags"), "no tags");
  EXPECT_EQ(answerPart("</think>"), "");
}

TEST(ChatFormat, BadConversationsAreOneLineErrors) {
  auto error = [](std::vector<ChatMessage> m) {
    Result<RenderedPrompt> p = renderR1Prompt(m, {});
    EXPECT_FALSE(p.ok());
    return p.ok() ? std::string() : p.status().message();
  };
  EXPECT_EQ(error({}), "the conversation must end with a user turn");
  EXPECT_EQ(error({{"user", "a"}, {"assistant", "b"}}),
            "the conversation must end with a user turn");
  EXPECT_EQ(error({{"assistant", "a"}, {"user", "b"}}),
            "message 1: the conversation must start with a user turn");
  EXPECT_EQ(error({{"user", "a"}, {"user", "b"}}),
            "message 2: two user turns in a row; user and assistant turns must alternate");
  EXPECT_EQ(error({{"user", "a"}, {"tool", "b"}}),
            "message 2: role 'tool' is not system, user or assistant");
}

TEST(OfficialPrompts, FileTemplate) {
  EXPECT_EQ(fileQuestion("notes.txt", "line 1\nline 2", "Summarize."),
            "[file name]: notes.txt\n[file content begin]\nline 1\nline 2\n[file content end]\n"
            "Summarize.");
  // Values are not expanded again.
  EXPECT_EQ(fileQuestion("{question}", "x", "q"),
            "[file name]: {question}\n[file content begin]\nx\n[file content end]\nq");
}

TEST(OfficialPrompts, SearchTemplateByLanguage) {
  EXPECT_TRUE(isChineseQuestion("今天天气怎么样？"));
  EXPECT_TRUE(isChineseQuestion("What does 你好 mean?"));
  EXPECT_FALSE(isChineseQuestion("What is the weather today?"));
  EXPECT_FALSE(isChineseQuestion("こんにちは")); // kana only
  std::string en = searchQuestion("[webpage 1 begin]A[webpage 1 end]", "Who won?", "2026-11-22");
  EXPECT_EQ(en.rfind("# The following contents are the search results related to the user's "
                     "message:\n[webpage 1 begin]A[webpage 1 end]\n",
                     0),
            0u);
  EXPECT_NE(en.find("- Today is 2026-11-22.\n"), std::string::npos);
  EXPECT_EQ(en.substr(en.size() - 33), "# The user's message is:\nWho won?");
  std::string zh = searchQuestion("[webpage 1 begin]A[webpage 1 end]", "谁赢了？", "2026年11月22日");
  EXPECT_EQ(zh.rfind("# 以下内容是基于用户发送的消息的搜索结果:\n[webpage 1 begin]", 0), 0u);
  EXPECT_NE(zh.find("- 今天是2026年11月22日。\n"), std::string::npos);
  EXPECT_NE(zh.find("# 用户消息为：\n谁赢了？"), std::string::npos);
  EXPECT_EQ(zh.find("{"), std::string::npos);
  EXPECT_EQ(en.find("{"), std::string::npos);
}

/// Feeds `pieces` and returns the accumulated split.
SplitText split(bool promptOpened, std::vector<std::string> pieces) {
  ReasoningSplitter s(promptOpened);
  SplitText all;
  for (const std::string &p : pieces) {
    SplitText t = s.feed(p);
    all.reasoning += t.reasoning;
    all.answer += t.answer;
  }
  SplitText t = s.finish();
  all.reasoning += t.reasoning;
  all.answer += t.answer;
  return all;
}

TEST(ReasoningSplitter, ClosingTagSplitAcrossPieces) {
  SplitText t = split(true, {"Let me think", ".</th", "ink>\n\nThe answer", " is 4."});
  EXPECT_EQ(t.reasoning, "Let me think.");
  EXPECT_EQ(t.answer, "The answer is 4.");
}

TEST(ReasoningSplitter, EveryByteItsOwnPiece) {
  std::string text = "<think>\nhmm <b>bold</b> </thin</think>\n\nDone </think> here";
  std::vector<std::string> pieces;
  for (char c : text)
    pieces.emplace_back(1, c);
  SplitText t = split(true, pieces);
  // The model repeated <think>: dropped. Only the first </think> splits.
  EXPECT_EQ(t.reasoning, "\nhmm <b>bold</b> </thin");
  EXPECT_EQ(t.answer, "Done </think> here");
}

TEST(ReasoningSplitter, NoClosingTagMeansAllReasoning) {
  SplitText t = split(true, {"still thinking", " <"});
  EXPECT_EQ(t.reasoning, "still thinking <");
  EXPECT_EQ(t.answer, "");
}

TEST(ReasoningSplitter, EmptyThinkBlock) {
  SplitText t = split(true, {"\n\n</think>\n\nHi!"});
  EXPECT_EQ(t.reasoning, "\n\n");
  EXPECT_EQ(t.answer, "Hi!");
}

TEST(ReasoningSplitter, WithoutThePromptsThinkBlock) {
  SplitText answerOnly = split(false, {"Just ", "an answer."});
  EXPECT_EQ(answerOnly.reasoning, "");
  EXPECT_EQ(answerOnly.answer, "Just an answer.");
  SplitText opened = split(false, {"\n<thi", "nk>\nwhy</think>because"});
  EXPECT_EQ(opened.reasoning, "\nwhy");
  EXPECT_EQ(opened.answer, "because");
  // A lone "<" at the start is held until it is decided, then emitted.
  SplitText lt = split(false, {"<", "3 is a heart"});
  EXPECT_EQ(lt.answer, "<3 is a heart");
}

TEST(ReasoningSplitter, HoldsBackOnlyAPossibleTag) {
  ReasoningSplitter s(true);
  SplitText t = s.feed("abc</");
  EXPECT_EQ(t.reasoning, "abc");
  t = s.feed("x");
  EXPECT_EQ(t.reasoning, "</x");
  EXPECT_FALSE(s.inAnswer());
}

} // namespace
} // namespace r1::runtime

namespace r1::runtime {
namespace {

TEST(BoxedAnswer, LastCompleteBoxWithNestedBraces) {
  EXPECT_EQ(lastBoxed("so \\boxed{1} then \\boxed{\\frac{1}{2}}."), "\\frac{1}{2}");
  EXPECT_EQ(lastBoxed("escaped \\boxed{\\{a\\}}"), "\\{a\\}");
  // The last one is cut off: the one before it counts.
  EXPECT_EQ(lastBoxed("\\boxed{42} and \\boxed{4"), "42");
  EXPECT_EQ(lastBoxed("no box here"), std::nullopt);
  EXPECT_EQ(lastBoxed("\\boxed{"), std::nullopt);
}

TEST(BoxedAnswer, Normalize) {
  EXPECT_EQ(normalizeAnswer(" $\\dfrac{1}{2}$ "), "\\frac{1}{2}");
  EXPECT_EQ(normalizeAnswer("\\left( 1, 2 \\right)."), "(1,2)");
  EXPECT_EQ(normalizeAnswer("\\text{Paris}"), "Paris");
  EXPECT_EQ(normalizeAnswer("10\\!000"), "10000");
}

TEST(BoxedAnswer, PassAtOneAndConsensus) {
  // 4 samples: two say 5, one says 6, one has no box.
  ProblemScore s = scoreProblem({"5", "6", std::nullopt, " 5 "}, "5");
  EXPECT_DOUBLE_EQ(s.pass1, 0.5);
  EXPECT_EQ(s.majority, "5");
  EXPECT_TRUE(s.consCorrect);
  EXPECT_EQ(s.correct, (std::vector<bool>{true, false, false, true}));
  // A tie goes to the answer seen first; here that one is wrong.
  ProblemScore tie = scoreProblem({"7", "5", "7", "5"}, "5");
  EXPECT_DOUBLE_EQ(tie.pass1, 0.5);
  EXPECT_EQ(tie.majority, "7");
  EXPECT_FALSE(tie.consCorrect);
  ProblemScore none = scoreProblem({std::nullopt, std::nullopt}, "5");
  EXPECT_DOUBLE_EQ(none.pass1, 0.0);
  EXPECT_EQ(none.majority, "");
  EXPECT_FALSE(none.consCorrect);
}

} // namespace
} // namespace r1::runtime
