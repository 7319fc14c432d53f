# lit configuration for r1c's FileCheck tests (test/lit).
#
# Substitutions:
#   r1c, r1c-opt        the tools under test (build/bin)
#   %shared             ../shared: tiny-model generator, real tokenizers, goldens
#   %configs            models/configs: the real configs of R1 and the Distills
#   %make_tiny_model    /usr/bin/python3 %shared/models/make_tiny_model.py
#   %python             /usr/bin/python3 (Debian's, with numpy), for test scripts
# Features:
#   shared              ../shared and a Python with numpy are present; tests
#                       that generate tiny models say `REQUIRES: shared`.

import os
import shutil
import subprocess

import lit.formats
from lit.llvm import llvm_config

config.name = "r1c"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.r1c_obj_root, "test", "lit")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.r1c_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(["r1c", "r1c-opt"], [config.r1c_tools_dir])

config.substitutions.append(("%r1run", os.path.join(config.r1c_tools_dir, "r1run")))
config.substitutions.append(("%src_root", config.r1c_src_root))
config.substitutions.append(("%fake_cuda_lib", os.path.join(config.r1c_obj_root, "test", "fakecuda", "lib")))
config.substitutions.append(("%configs", os.path.join(config.r1c_src_root, "models", "configs")))
config.substitutions.append(("%shared", config.r1c_shared_dir))
config.substitutions.append(("%python", config.r1c_data_python))
config.substitutions.append(
    ("%make_tiny_model",
     "%s %s" % (config.r1c_data_python,
                os.path.join(config.r1c_shared_dir, "models", "make_tiny_model.py"))))


def shared_available():
    generator = os.path.join(config.r1c_shared_dir, "models", "make_tiny_model.py")
    if not os.path.isfile(generator):
        return "no %s" % generator
    try:
        subprocess.run([config.r1c_data_python, "-c", "import numpy"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except (OSError, subprocess.CalledProcessError):
        return "%s cannot import numpy (run scripts/setup.sh)" % config.r1c_data_python
    return None


missing = shared_available()
if missing is None:
    config.available_features.add("shared")
else:
    lit_config.warning("tests that need ../shared are skipped (UNSUPPORTED): %s" % missing)

# r1run chat's interactive test drives it in tmux (scripts/setup.sh installs it).
if shutil.which("tmux"):
    config.available_features.add("tmux")
else:
    lit_config.warning("r1run chat's terminal test is skipped (UNSUPPORTED): no tmux")

# The CUDA toolchain tests (REQUIRES: nvcc) need nvcc, ptxas and fatbinary,
# looked for as r1c looks (compiler/CudaToolchain.h); they need no GPU.
def cuda_toolkit_available():
    for var in ("R1C_CUDA_PATH", "CUDA_HOME"):
        if os.environ.get(var):
            config.environment[var] = os.environ[var]
    tools = ("nvcc", "ptxas", "fatbinary")
    roots = [os.environ.get("R1C_CUDA_PATH")] if os.environ.get("R1C_CUDA_PATH") else \
        [os.environ.get("CUDA_HOME"), "/usr/local/cuda"]
    for root in filter(None, roots):
        if all(os.access(os.path.join(root, "bin", t), os.X_OK) for t in tools):
            return True
    return not os.environ.get("R1C_CUDA_PATH") and all(shutil.which(t) for t in tools)


if cuda_toolkit_available():
    config.available_features.add("nvcc")
else:
    lit_config.warning("CUDA toolchain tests are skipped (UNSUPPORTED): no nvcc, ptxas and "
                       "fatbinary (CUDA toolkit 12.0+; set CUDA_HOME or R1C_CUDA_PATH)")

# A CUDA driver (libcuda.so.1) makes r1run run CUDA artifacts on the GPU;
# tests of the message r1run gives without one are UNSUPPORTED there.
try:
    import ctypes
    ctypes.CDLL("libcuda.so.1")
    config.available_features.add("cuda-driver")
except OSError:
    pass
