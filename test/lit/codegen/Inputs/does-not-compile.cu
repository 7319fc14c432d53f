// A compile error for test/lit/codegen/cuda-toolchain.test.
extern "C" __global__ void broken(float *y) {
  y[threadIdx.x] = undefined_name;
}
