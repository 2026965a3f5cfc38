#!/usr/bin/env bash
# Install box2seg (ltr + pytracking) and its dependencies, write the local path files, and, when
# online, fetch torchvision's pretrained ResNet-50 weights. Safe to run again.
#   PYTHON=python3.11 ./install.sh     # choose the interpreter
#   BOX2SEG_NO_DOWNLOAD=1 ./install.sh # never try to download weights (also implied by CI=true)
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

if [ -n "${CI:-}" ] || [ -n "${BOX2SEG_NO_DOWNLOAD:-}" ]; then
    echo "[install] skipping pretrained-weight download (CI or BOX2SEG_NO_DOWNLOAD set)"
else
    # Never fatal: offline machines simply train from random init (with a warning) or use local files.
    timeout 900 $PY - <<'PYEOF' || echo "[install] could not fetch pretrained weights (offline?); continuing"
from torchvision.models import ResNet50_Weights
from torchvision.models.detection import MaskRCNN_ResNet50_FPN_Weights
for w in (MaskRCNN_ResNet50_FPN_Weights.COCO_V1, ResNet50_Weights.IMAGENET1K_V1):
    w.get_state_dict(progress=True)
    print("[install] cached", w)
PYEOF
fi
echo "[install] done. Test with: $PY -m pytest -q tests"
