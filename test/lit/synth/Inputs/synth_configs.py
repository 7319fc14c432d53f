#!/usr/bin/python3
"""For each config: shrink it (shrink_config.py), `r1c synth` it and
`r1c import` the result, which must succeed without a single warning.

Usage: synth_configs.py R1C WORK_DIR CONFIG_OR_DIR...

Directories stand for every *.json in them, so configs added to
models/configs/ are covered without touching the test. Prints one line per
config: "NAME: N tensors, ok".
"""
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
r1c, work = sys.argv[1], sys.argv[2]
configs = []
for arg in sys.argv[3:]:
    configs += sorted(glob.glob(os.path.join(arg, "*.json"))) if os.path.isdir(arg) else [arg]

for config in configs:
    name = os.path.splitext(os.path.basename(config))[0]
    small = os.path.join(work, name + ".json")
    model = os.path.join(work, name)
    mlir = os.path.join(work, name + ".mlir")
    subprocess.run([sys.executable, os.path.join(HERE, "shrink_config.py"), config, small],
                   check=True)
    synth = subprocess.run([r1c, "synth", small, "-o", model], capture_output=True, text=True)
    if synth.returncode != 0:
        sys.exit("%s: r1c synth failed (%d): %s" % (config, synth.returncode, synth.stderr))
    imported = subprocess.run([r1c, "import", model, "-o", mlir], capture_output=True, text=True)
    if imported.returncode != 0 or imported.stderr:
        sys.exit("%s: r1c import of the synthesized model: exit %d: %s"
                 % (config, imported.returncode, imported.stderr))
    tensors = synth.stderr.split("wrote ")[1].split(" ")[0]
    print("%s: %s tensors, ok" % (name, tensors))
