"""What a trained network expects at inference, recorded in its checkpoint so that inference tools
default to it: the crop size and search area it was trained for, its input normalisation and the
steepest-descent solver.

The trainer and ``export_network`` write it (``to_dict``: plain data, so any pytracking can unpickle
the checkpoint); ``load_network`` attaches it to the network it loads (``InferenceRecord.of(net)``),
and the annotation engine, the box2seg evaluation method and the LWL tracker read it from there.
Checkpoints written before the solver was recorded read as the default solver. The target stride
is not recorded: it is architecture (``net.target_stride``), rebuilt from the constructor's arguments.
Torch-free, so command lines can use it before they load torch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Mapping, Optional

from ltr.models.meta.solvers import DEFAULT_SOLVER, check_solver

if TYPE_CHECKING:
    from ltr.data.bounding_box_utils import Size

FIELDS = ("crop_size", "search_area", "normalization", "solver")


@dataclass(frozen=True)
class InferenceRecord:
    """The inference settings a network was trained for; checked when made."""

    crop_size: Size  # (H, W) of the network input
    search_area: float  # crop side / box side
    normalization: str  # the backbone's input normalisation (ltr.data.transforms.NORMALIZATIONS)
    solver: str = DEFAULT_SOLVER  # steepest descent of the target model

    def __post_init__(self):
        size = tuple(int(v) for v in self.crop_size)
        if len(size) != 2 or min(size) <= 0:
            raise ValueError(f"inference record: crop_size must be (H, W) > 0, got {self.crop_size!r}")
        if not float(self.search_area) > 0:
            raise ValueError(f"inference record: search_area must be positive, got {self.search_area!r}")
        object.__setattr__(self, "crop_size", size)
        object.__setattr__(self, "search_area", float(self.search_area))
        object.__setattr__(self, "solver", check_solver(self.solver))

    def to_dict(self) -> Dict[str, Any]:
        """The checkpoint entry ``inference``: plain lists, floats and strings."""
        return {"crop_size": list(self.crop_size), "search_area": self.search_area,
                "normalization": self.normalization, "solver": self.solver}

    @classmethod
    def from_dict(cls, entry: Mapping[str, Any]) -> "InferenceRecord":
        """A checkpoint's ``inference`` entry; ValueError naming what is missing or unknown."""
        unknown = sorted(set(entry) - set(FIELDS))
        missing = [k for k in FIELDS[:3] if k not in entry]
        if unknown or missing:
            raise ValueError(f"inference record: unknown fields {unknown}, missing fields {missing}")
        return cls(**entry)

    @staticmethod
    def of(net: Any) -> Optional["InferenceRecord"]:
        """The record a loaded network carries; None when its checkpoint records none (official
        checkpoints) or the network was built rather than loaded."""
        record = getattr(net, "inference", None)
        if record is not None and not isinstance(record, InferenceRecord):
            raise TypeError(f"net.inference must be an InferenceRecord, not {type(record).__name__}")
        return record
