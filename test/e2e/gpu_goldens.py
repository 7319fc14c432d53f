#!/usr/bin/env python3
"""The CUDA backend on a real GPU, against the goldens (ctest -L gpu).

Usage: gpu_goldens.py BIN_DIR SHARED_DIR WORK_DIR

Skips (exit 77) when `nvidia-smi` finds no GPU or ../shared is absent.
Otherwise compiles every tiny model for the GPU's own target (sm_80 for
compute capability 8.0-8.7, sm_89, sm_90a, sm_100a for 10.0), runs each on the GPU with
r1run through run_golden.py against DeepSeek's / PyTorch's goldens, short
and long prompts, and once more one token at a time (decode kernels and the
CUDA graph) against one prefill.
"""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77
MODELS = ["qwen2-tiny", "llama-tiny", "dsv3-tiny", "dsv3-tiny-fp8"]


def gpu_target():
    if not shutil.which("nvidia-smi"):
        return None, "no nvidia-smi"
    run = subprocess.run(["nvidia-smi", "--query-gpu=compute_cap,name", "--format=csv,noheader"],
                         capture_output=True, text=True)
    if run.returncode != 0 or not run.stdout.strip():
        return None, "nvidia-smi finds no GPU"
    cap, name = [x.strip() for x in run.stdout.splitlines()[0].split(",", 1)]
    major, minor = cap.split(".")
    if cap == "10.0":  # B200/GB200; sm_100a cubins do not run on 10.x others
        return "sm_100a", name
    if major == "9":
        return "sm_90a", name
    if major == "8":
        return ("sm_89" if minor == "9" else "sm_80"), name
    return None, f"{name} (compute capability {cap}) is not a target r1c compiles for"


def main():
    bin_dir, shared, work = sys.argv[1:4]
    target, what = gpu_target()
    if not target:
        print(f"SKIP: the GPU tests need an NVIDIA GPU: {what}")
        sys.exit(SKIP)
    if not os.path.isdir(os.path.join(shared, "goldens")):
        print(f"SKIP: {shared} has no goldens")
        sys.exit(SKIP)
    print(f"GPU: {what}, target {target}")
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ["PATH"])
    os.makedirs(work, exist_ok=True)
    failed = 0
    for model in MODELS:
        model_dir = os.path.join(work, model)
        artifact = os.path.join(work, f"{model}.{target}.r1")
        if not os.path.isdir(model_dir):
            subprocess.run(["/usr/bin/python3", os.path.join(shared, "models", "make_tiny_model.py"),
                            model, model_dir], check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["r1c", "compile", model_dir, "--target", target, "-o", artifact, "-q"],
                       check=True, env=env)
        runs = [[f"{model}.short.json"], [f"{model}.long.json"],
                [f"{model}.long.json", "--chunk", "1", "--same-as-chunk", "256"]]
        for golden, *extra in runs:
            path = os.path.join(shared, "goldens", "reference", golden)
            code = subprocess.call([sys.executable, os.path.join(HERE, "run_golden.py"), artifact,
                                    path, *extra], env=env)
            failed += code != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
