//===- BatchDecodeCheck.cpp - Batched decode against one sequence at a time ===//
//
// r1c-batch-check ARTIFACT [SEQUENCES]: the e2e check of r1_decode_batch on
// generated code (test/e2e/batch-decode.test). SEQUENCES sequences (default
// 21: one full group of R1_MAX_GEMV_TOKENS and a partial one) get prompts of
// different lengths, then decode 6 steps together through BatchRunner;
// each is also run alone through a Session (r1_prefill, then r1_decode per
// token). Every logit of every step must be bit-identical: a sequence's
// tokens must not depend on what it is batched with. Prints one line per
// check and exits 1 on the first difference.
//
//===----------------------------------------------------------------------===//

#include "runtime/BatchRunner.h"
#include "runtime/Model.h"
#include "runtime/Session.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

using namespace r1::runtime;

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "r1c-batch-check: %s\n", message.c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 2)
    return fail("usage: r1c-batch-check ARTIFACT [SEQUENCES]");
  const int count = argc > 2 ? std::atoi(argv[2]) : 21;
  constexpr int kSteps = 6;
  Result<std::unique_ptr<Model>> model = Model::load(argv[1]);
  if (!model.ok())
    return fail(model.status().message());
  const ModelManifest &m = (*model)->manifest();
  const int64_t vocab = static_cast<int64_t>(m.vocabSize);
  BatchRunnerOptions options;
  options.threads = 2;
  Result<std::unique_ptr<BatchRunner>> runner = BatchRunner::create(**model, options);
  if (!runner.ok())
    return fail(runner.status().message());
  std::printf("r1_decode_batch: %s, %lld sequences per call\n",
              (*runner)->batchesSteps() ? "exported" : "missing",
              static_cast<long long>((*runner)->maxBatchPerCall()));

  // Deterministic prompts of 1..9 tokens and next tokens.
  auto tokenAt = [&](int seq, int i) {
    return static_cast<int32_t>((seq * 7919 + i * 104729 + 13) % vocab);
  };
  std::vector<std::vector<int32_t>> prompts(count);
  for (int s = 0; s < count; ++s)
    for (int i = 0; i < 1 + s % 9; ++i)
      prompts[s].push_back(tokenAt(s, i));

  // 1. Batched: prefill each, then kSteps decode steps of all together.
  std::vector<std::unique_ptr<BatchSequence>> seqs;
  std::vector<float> batched(static_cast<size_t>(kSteps) * count * vocab);
  std::vector<float> last(static_cast<size_t>(vocab));
  for (int s = 0; s < count; ++s) {
    Result<std::unique_ptr<BatchSequence>> seq = (*runner)->newSequence(64);
    if (!seq.ok())
      return fail(seq.status().message());
    if (Status st = (*runner)->prefill(**seq, prompts[s], R1_PRECISION_DEFAULT, last.data());
        !st.ok())
      return fail(st.message());
    seqs.push_back(std::move(*seq));
  }
  std::vector<BatchSequence *> all;
  for (auto &seq : seqs)
    all.push_back(seq.get());
  for (int step = 0; step < kSteps; ++step) {
    std::vector<int32_t> next;
    for (int s = 0; s < count; ++s)
      next.push_back(tokenAt(s, 100 + step));
    if (Status st = (*runner)->decode(all, next, R1_PRECISION_DEFAULT,
                                      batched.data() + static_cast<size_t>(step) * count * vocab);
        !st.ok())
      return fail(st.message());
  }

  // 2. Each alone through a Session, compared bit for bit.
  SessionOptions sessionOptions;
  sessionOptions.ctx = 64;
  sessionOptions.threads = 2;
  std::vector<float> alone(static_cast<size_t>(vocab));
  for (int s = 0; s < count; ++s) {
    Result<std::unique_ptr<Session>> session = Session::create(**model, sessionOptions);
    if (!session.ok())
      return fail(session.status().message());
    if (Status st = (*session)->step(prompts[s], LogitsMode::kLast, R1_PRECISION_DEFAULT,
                                     alone.data());
        !st.ok())
      return fail(st.message());
    for (int step = 0; step < kSteps; ++step) {
      int32_t token = tokenAt(s, 100 + step);
      if (Status st = (*session)->step({&token, 1}, LogitsMode::kLast, R1_PRECISION_DEFAULT,
                                       alone.data());
          !st.ok())
        return fail(st.message());
      const float *row = batched.data() + (static_cast<size_t>(step) * count + s) * vocab;
      if (std::memcmp(row, alone.data(), sizeof(float) * vocab) != 0) {
        int64_t v = 0;
        while (std::memcmp(&row[v], &alone[v], sizeof(float)) == 0)
          ++v;
        return fail("sequence " + std::to_string(s) + ", step " + std::to_string(step) +
                    ": logit " + std::to_string(v) + " is " + std::to_string(row[v]) +
                    " batched and " + std::to_string(alone[v]) + " alone");
      }
    }
  }
  std::printf("%d sequences x %d steps: batched logits bit-identical to one sequence at a time\n",
              count, kSteps);

  // 3. The contract's errors: a full cache, a sequence twice.
  Result<std::unique_ptr<BatchSequence>> tiny = (*runner)->newSequence(1);
  if (!tiny.ok())
    return fail(tiny.status().message());
  int32_t token = 1;
  if (Status st = (*runner)->prefill(**tiny, {&token, 1}, R1_PRECISION_DEFAULT, last.data());
      !st.ok())
    return fail(st.message());
  BatchSequence *full = tiny->get();
  Status error = (*runner)->decode({&full, 1}, {&token, 1}, R1_PRECISION_DEFAULT, last.data());
  std::printf("full cache: %s\n", error.ok() ? "accepted" : error.message().c_str());
  BatchSequence *twice[] = {all[0], all[0]};
  int32_t tokens[] = {1, 2};
  error = (*runner)->decode(twice, tokens, R1_PRECISION_DEFAULT, batched.data());
  std::printf("twice: %s\n", error.ok() ? "accepted" : error.message().c_str());
  return 0;
}
