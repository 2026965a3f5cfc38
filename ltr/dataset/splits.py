"""Fixed divisions of the shared DAVIS-2016 train data, used by training, evaluation and the tests.

The shared copy (``davis16_dir``) holds the 30 DAVIS-2016 train videos. Six are held out for
validation and never trained on: every fifth video in alphabetical order, starting with the third, so
they span the alphabet. The 24 others train box2seg; for the Table 4 miniature they are split into A
(8, masks known: every third in alphabetical order) and B (16, boxes only).
"""
from __future__ import annotations

DAVIS16_RESOLUTION = "240p"  # the shared copy has every video at 240p (only one at 480p)

DAVIS16_HELDOUT = ["boat", "dance-jump", "hike", "mallard-fly", "rhino", "surf"]
DAVIS16_TRAIN = [
    "bear", "bmx-bumps", "breakdance-flare", "bus", "car-turn", "dog-agility", "drift-turn", "elephant", "flamingo",
    "hockey", "horsejump-low", "kite-walk", "lucia", "mallard-water", "motocross-bumps", "motorbike", "paragliding",
    "rollerblade", "scooter-gray", "soccerball", "stroller", "swing", "tennis", "train",
]
DAVIS16_SPLIT_A = ["bear", "bus", "drift-turn", "hockey", "lucia", "motorbike", "scooter-gray", "swing"]
DAVIS16_SPLIT_B = ["bmx-bumps", "breakdance-flare", "car-turn", "dog-agility", "elephant", "flamingo", "horsejump-low",
                   "kite-walk", "mallard-water", "motocross-bumps", "paragliding", "rollerblade", "soccerball",
                   "stroller", "tennis", "train"]
