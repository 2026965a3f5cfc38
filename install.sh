#!/usr/bin/env bash
# Install box2seg (ltr + pytracking) and its dependencies and write the local path files. Safe to run
# again. Nothing is downloaded besides the pip packages: the shipped networks need no other weights.
#   PYTHON=python3.11 ./install.sh         # choose the interpreter
#   BOX2SEG_FETCH_WEIGHTS=1 ./install.sh   # also cache torchvision's COCO Mask R-CNN and ImageNet ResNet-50
#                                          # weights (for training the paper's ResNet-50 networks)
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}

echo "[install] python: $($PY --version)"
# torch/torchvision first, from the registry (CUDA wheels also run on CPU); kept if already working.
if ! $PY -c "import torch, torchvision" >/dev/null 2>&1; then
    $PY -m pip install torch torchvision
fi
$PY -m pip install -e ".[test]"
# jpeg4py is optional and only useful with libturbojpeg (e.g. apt-get install libturbojpeg0);
# OpenCV decodes JPEGs otherwise.
if ldconfig -p 2>/dev/null | grep -q libturbojpeg; then
    $PY -m pip install jpeg4py || echo "[install] jpeg4py not installed: using OpenCV to decode JPEGs"
else
    echo "[install] libturbojpeg not found: JPEGs are decoded with OpenCV (install libturbojpeg0 + jpeg4py for speed)"
fi

# Generated path files (edit them, or override any field with BOX2SEG_<FIELD> variables).
$PY - <<'PYEOF'
import warnings
warnings.simplefilter("ignore")
from ltr.admin.environment import env_settings as ltr_env
from pytracking.evaluation.environment import env_settings as pt_env
print("[install] ltr settings:", ltr_env())
print("[install] pytracking settings:", pt_env())
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
