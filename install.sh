#!/usr/bin/env bash
# Install box2seg (ltr + pytracking) and its dependencies and write the local path files. Safe to run
# again. Nothing is downloaded besides the pip packages: the shipped networks need no other weights.
# Prints a few [install] lines; pip's output only when it fails.
#   PYTHON=python3.11 ./install.sh         # choose the interpreter
#   BOX2SEG_FETCH_WEIGHTS=1 ./install.sh   # also cache torchvision's COCO Mask R-CNN and ImageNet ResNet-50
#                                          # weights (for training the paper's ResNet-50 networks)
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}

echo "[install] python: $($PY --version)"

# pip's output goes to a log: shown (its tail and the log's path) only when pip fails.
LOG=$(mktemp "${TMPDIR:-/tmp}/box2seg-install.XXXXXX")
trap 'rm -f "$LOG"' EXIT
pip_logged() {
    echo "\$ $PY -m pip $*" >>"$LOG"
    "$PY" -m pip "$@" --progress-bar off >>"$LOG" 2>&1
}
pip_failed() {  # what failed, and optionally a hint
    trap - EXIT
    tail -n 20 "$LOG" >&2
    echo "[install] $1 failed${2:+ ($2)}; pip's full output: $LOG" >&2
    exit 1
}

# torch/torchvision first, from the registry (CUDA wheels also run on CPU); kept if already working.
if ! $PY -c "import torch, torchvision" >/dev/null 2>&1; then
    echo "[install] installing torch and torchvision (not importable yet)"
    pip_logged install torch torchvision || pip_failed "installing torch and torchvision"
fi
# An installed setuptools that can build an editable wheel (>= 64; before 70.1 it also needs `wheel`)
# builds box2seg without an isolated build environment, which would fetch setuptools from an index:
# that keeps the install working offline when every dependency is already there.
if SETUPTOOLS=$($PY - 2>/dev/null <<'PYEOF'
import importlib.util, re, setuptools
v = tuple(int(x) for x in re.match(r"(\d+)\.(\d+)", setuptools.__version__).groups())
assert v >= (64, 0) and (v >= (70, 1) or importlib.util.find_spec("wheel"))
print(setuptools.__version__)
PYEOF
); then
    pip_logged install --no-build-isolation -e ".[test]" || pip_failed "pip install -e .[test]"
    echo "[install] box2seg installed (editable) with its dependencies; built with the installed setuptools $SETUPTOOLS"
else
    pip_logged install -e ".[test]" ||
        pip_failed "pip install -e .[test]" "if offline: building needs setuptools>=70.1, or >=64 with wheel, installed"
    echo "[install] box2seg installed (editable) with its dependencies"
fi
# jpeg4py is optional and only useful with libturbojpeg (e.g. apt-get install libturbojpeg0);
# OpenCV decodes JPEGs otherwise.
if ldconfig -p 2>/dev/null | grep -q libturbojpeg; then
    if pip_logged install jpeg4py; then
        echo "[install] jpeg4py installed: JPEGs are decoded with libturbojpeg"
    else
        echo "[install] jpeg4py not installed: using OpenCV to decode JPEGs"
    fi
else
    echo "[install] libturbojpeg not found: JPEGs are decoded with OpenCV (install libturbojpeg0 + jpeg4py for speed)"
fi

# Generated path files (edit them, or override any field with BOX2SEG_<FIELD> variables).
$PY - <<'PYEOF'
import warnings
warnings.simplefilter("ignore")
from ltr.admin import environment as ltr
from pytracking.evaluation import environment as pt

files, data, shared = {}, [], ""
for name, env, defaults in (("ltr", ltr, ltr.ltr_defaults), ("pytracking", pt, pt.pytracking_defaults)):
    existed = env.LOCAL_FILE.is_file()
    settings = env.env_settings()
    state = "kept" if existed else "wrote" if env.LOCAL_FILE.is_file() else "could not write"
    files.setdefault(state, []).append(str(env.LOCAL_FILE.relative_to(ltr.REPO_ROOT)))
    data.append(f"{name}: {', '.join(k for k, v in defaults().items() if not v and getattr(settings, k)) or 'none'}")
    if not existed and settings.davis16_dir and settings.davis16_dir == ltr.shared_davis16_dir():
        shared = settings.davis16_dir
print("[install]", "; ".join(f"{state} {' and '.join(paths)}" for state, paths in files.items()),
      f"(workspace: {ltr.env_settings().workspace_dir})")
if shared:
    print("[install] davis16_dir set to the shared DAVIS-2016 copy:", shared)
print("[install] data paths set:", "; ".join(data), "(edit the local files or set BOX2SEG_<FIELD>)")
PYEOF

if [ -n "${BOX2SEG_FETCH_WEIGHTS:-}" ]; then
    # Never fatal, and one line when it fails: offline machines train from local files or random init.
    if timeout 900 $PY - >/dev/null 2>&1 <<'PYEOF'
from torchvision.models import ResNet50_Weights
from torchvision.models.detection import MaskRCNN_ResNet50_FPN_Weights
for w in (MaskRCNN_ResNet50_FPN_Weights.COCO_V1, ResNet50_Weights.IMAGENET1K_V1):
    w.get_state_dict(progress=False)
PYEOF
    then
        echo "[install] cached torchvision's COCO Mask R-CNN and ImageNet ResNet-50 weights"
    else
        echo "[install] could not fetch the ResNet-50 weights (offline?); continuing without them"
    fi
fi
echo "[install] done. Test with: $PY -m pytest -q tests"
