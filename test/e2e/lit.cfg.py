# lit configuration of the end-to-end tests (test/e2e): the test/lit
# configuration (tools, %shared, %python, %make_tiny_model, feature `shared`)
# with this directory as the test root.
import os

lit_config.load_config(config, os.path.join(config.r1c_src_root, "test", "lit", "lit.cfg.py"))
config.name = "r1c-e2e"
config.suffixes = [".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.r1c_obj_root, "test", "e2e")

# The CUDA emulation runs one OS thread per CUDA thread; a decode step's
# 129k-row LM head GEMV takes tens of seconds on a loaded 2-core machine, over
# the emulator's default 60 s launch timeout (a guard against hung kernels).
config.environment["R1CUDA_EMU_TIMEOUT_S"] = "900"
