/*===- R1Abi.h - The fixed interface between an artifact's code and r1run -===*
 *
 * An r1c artifact's compiled code (a shared object generated per model) exports
 * the entry points below; r1run calls them. This header is the whole contract:
 * the runtime knows nothing else about the model's internals, and the generated
 * code knows nothing about the runtime beyond these structs. It is plain C so
 * that the generated code and the runtime can be compiled by different
 * compilers. Bump R1_ABI_VERSION on any change to a struct or signature.
 *
 *===----------------------------------------------------------------------===*/
#ifndef R1_ABI_H
#define R1_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define R1_ABI_VERSION 3

/* Precision of activations and accumulation. */
enum r1_precision {
  R1_PRECISION_DEFAULT = 0, /* what the artifact recommends: FP32, except that integer weights
                               (r1c compile --quant int8|int4) multiply int8-quantized
                               activations in decode (and in prefill steps short enough
                               for the GEMV cores, r1_tuning.gemv_max_tokens) where the
                               CPU has AVX512-VNNI and
                               bf16 activations and weights on AMX tiles in prefill where
                               the CPU allows AMX */
  R1_PRECISION_FP32 = 1,    /* fp32 activations and accumulation: the reference mode */
  R1_PRECISION_BF16 = 2,    /* activations rounded to bf16 inside dot products where the CPU
                               has AVX512-BF16, and prefill on AMX tiles (weights rounded to
                               bf16) where it allows AMX (faster prefill; ~0.2-0.4% relative
                               error) */
};

/* Runs fn(task, data) for task in [0, num_tasks) on the runtime's threads and
 * returns when all have finished. Tasks must be independent. */
typedef void (*r1_task_fn)(int64_t task, void *data);
typedef void (*r1_parallel_for_fn)(void *pool, int64_t num_tasks, r1_task_fn fn, void *data);

/* Tiling choices that `r1c tune` measures on the deployment machine and
 * records in the manifest ("tuning"); a field of 0 keeps the kernels' own
 * default. They change speed, never which code path's results are allowed:
 * every choice stays within the precision's bounds. */
#define R1_DEFAULT_AMX_MIN_TOKENS 16
#define R1_DEFAULT_AMX_MIN_EXPERT_TOKENS 8
#define R1_DEFAULT_DECODE_TASKS_PER_THREAD 4
#define R1_DEFAULT_GEMV_MAX_TOKENS 8
#define R1_MAX_GEMV_TOKENS 16
struct r1_tuning {
  int32_t amx_min_tokens;          /* a prefill GEMM runs on AMX tiles from this many tokens */
  int32_t amx_min_expert_tokens;   /* an MoE expert's prefill tile runs on AMX from this many
                                      tokens routed to it */
  int32_t decode_tasks_per_thread; /* decode GEMV tasks per thread */
  int32_t gemv_max_tokens;         /* prefill steps of at most this many tokens (1..16) run
                                      the decode GEMVs for each token, weights read once */
};

/* One forward step over n_tokens consecutive tokens of one sequence; or, for
 * r1_decode_batch, over one next token of each of n_tokens sequences. */
struct r1_step_args {
  uint32_t abi_version;       /* R1_ABI_VERSION of the caller */
  int32_t precision;          /* enum r1_precision */
  int64_t n_tokens;           /* 1..max_step_tokens (manifest) */
  const int32_t *tokens;      /* [n_tokens] token ids, each < vocab_size */
  const int32_t *positions;   /* [n_tokens] consecutive positions; positions[0] = tokens already cached */
  float *logits;              /* [logits_rows x vocab_size] fp32 output */
  int64_t logits_rows;        /* n_tokens (every position) or 1 (the last position only) */
  const void *const *weights; /* packed weights, indexed as in the manifest's "weights" list */
  void *kv_cache;             /* kv_bytes_per_token x kv_capacity bytes, 64-byte aligned */
  int64_t kv_capacity;        /* tokens the KV cache holds; every position must be < this */
  void *arena;                /* arena_bytes (manifest) of scratch, 64-byte aligned */
  r1_parallel_for_fn parallel_for;
  void *pool;
  int32_t num_threads;        /* threads behind parallel_for (>= 1) */
  struct r1_tuning tuning;    /* the manifest's "tuning", or zeros */
  /* r1_decode_batch only (NULL otherwise): token t is the next token of a
   * sequence of its own, at positions[t], whose KV cache is kv_caches[t]
   * (kv_capacities[t] tokens, 64-byte aligned); kv_cache and kv_capacity are
   * unused. The sequences must be distinct. */
  void *const *kv_caches;
  const int64_t *kv_capacities;
};

/* Entry points an artifact's shared object exports. Each returns 0 on success
 * or a non-zero code (R1_STEP_*) when the arguments break the contract. */
#define R1_STEP_OK 0
#define R1_STEP_BAD_ABI 1
#define R1_STEP_BAD_ARGS 2

/* prefill: any n_tokens in 1..max_step_tokens; decode: n_tokens == 1, with code
 * specialized for a single row (GEMV instead of GEMM); decode_batch: one
 * token of each of n_tokens (1..max_step_tokens) sequences, logits_rows ==
 * n_tokens. A batch shares the weight reads of its projections (up to
 * tuning.gemv_max_tokens sequences take the GEMV cores, every row's arithmetic
 * that of r1_decode, so its logits are bit-identical to one r1_decode per
 * sequence); attention runs per sequence over its own cache. r1_decode_batch
 * is optional: the runtime falls back to r1_decode per sequence without it. */
typedef int (*r1_step_fn)(const struct r1_step_args *args);
int r1_prefill(const struct r1_step_args *args);
int r1_decode(const struct r1_step_args *args);
int r1_decode_batch(const struct r1_step_args *args);

/* Identifies the code: "r1c <version> <model> <target>", checked against the manifest. */
const char *r1_code_identity(void);

#ifdef __cplusplus
}
#endif

#endif /* R1_ABI_H */
