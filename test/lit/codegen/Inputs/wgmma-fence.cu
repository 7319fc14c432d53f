// wgmma exists only on sm_90a: ptxas rejects this kernel unless nvcc wrote
// its PTX for the arch-specific target (".target sm_90a"), not compute_90.
extern "C" __global__ void fence_only(float *y) {
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
  y[threadIdx.x] = 1.0f;
}
