"""Every LWL train setting configures and builds its network; the official ones say what facts §4.3
says; missing data or checkpoints give one clear error naming what to provide."""
import importlib
import pkgutil

import numpy as np
import pytest
import torch

import ltr.train_settings.lwl as lwl_settings
from ltr.admin.loading import save_checkpoint
from ltr.admin.settings import Settings
from ltr.dataset.splits import DAVIS16_SPLIT_A as SPLIT_A, DAVIS16_SPLIT_B as SPLIT_B, DAVIS16_TRAIN
from ltr.models.box2seg.box2seg_net import steepest_descent_resnet50 as box2seg_net
from ltr.models.lwl.lwl_net import LWTLNet, steepest_descent_resnet50
from ltr.trainers.build import build_network, build_trainer, param_groups
from ltr.trainers.tasks import find_task
from pytracking.annotate.writer import write_mask

NAMES = sorted(m.name for m in pkgutil.iter_modules(lwl_settings.__path__))
DAVIS16 = ["davis16_a", "davis16_ab_box2seg", "davis16_ab_boxfill", "davis16_ab_true"]


def configured(name: str, workspace) -> Settings:
    settings = Settings()
    settings.project_path = f"ltr/lwl/{name}"
    settings.env.workspace_dir = str(workspace)
    settings.env.pretrained_networks = str(workspace / "pretrained_networks")
    settings.env.tensorboard_dir = str(workspace / "tb")
    importlib.import_module(f"ltr.train_settings.lwl.{name}").configure(settings)
    return settings


@pytest.mark.parametrize("name", NAMES)
def test_setting_builds(name, tmp_path):
    settings = configured(name, tmp_path)
    assert settings.task == "lwl"
    net = steepest_descent_resnet50(**dict(settings.net_kwargs, backbone_pretrained=False))
    assert isinstance(net, LWTLNet) and param_groups(net, settings.learning_rates)
    assert settings.samples_per_epoch % settings.batch_size == 0 and settings.num_epochs > max(settings.lr_milestones)


def test_official_stages_are_section_4_3(tmp_path):
    stage1, stage2 = configured("stage1", tmp_path), configured("stage2", tmp_path)
    for s in (stage1, stage2):
        assert (s.batch_size, s.samples_per_epoch // s.batch_size, s.output_size, s.search_area_factor) == \
            (20, 1000, (480, 832), 5.0)
        assert (s.num_train_frames, s.num_test_frames, s.max_gap, s.num_refinement_iter, s.loss_weight) == \
            (1, 3, 100, 2, 100.0)
        assert (s.test_scale_jitter, s.test_center_jitter, s.max_rotation, s.max_scale) == (0.5, (5.5, 4.5), 15.0, 0.2)
    assert (stage1.num_epochs, stage1.lr_milestones, stage1.learning_rates["decoder"]) == (70, (40,), 1e-4)
    assert (stage2.num_epochs, stage2.lr_milestones, stage2.learning_rates["decoder"]) == (80, (25, 75), 2e-5)
    assert stage1.init_checkpoint is None and len(stage1.net_kwargs["frozen_backbone_layers"]) == 6
    assert stage2.net_kwargs["frozen_backbone_layers"] == ("conv1", "bn1", "layer1")
    net = steepest_descent_resnet50(**dict(stage2.net_kwargs, backbone_pretrained=False))
    groups = {g["name"] for g in param_groups(net, stage2.learning_rates)}
    assert {"feature_extractor.layer2", "feature_extractor.layer4"} <= groups


def test_missing_checkpoints_and_masks_give_one_clear_error(tmp_path):
    stage2 = configured("stage2", tmp_path)
    stage2.train_datasets = lambda settings: [(None, 1.0)]  # data roots are checked first; here they pass
    with pytest.raises(FileNotFoundError, match=r"stage1/LWTLNet_ep0070.pth.tar.*run_training.py lwl stage1"):
        build_trainer(stage2)
    finetune = configured("box2seg_finetune", tmp_path)
    with pytest.raises(FileNotFoundError, match=r"stage2/LWTLNet_ep0080.pth.tar nor .*lwl_stage2.pth"):
        finetune.init_checkpoint(finetune)
    finetune.env.pregenerated_masks = ""
    with pytest.raises(ValueError, match="'pregenerated_masks' is not configured"):
        finetune.train_datasets(finetune)
    finetune.env.pregenerated_masks = str(tmp_path)
    with pytest.raises(FileNotFoundError, match="got10k_masks"):
        finetune.train_datasets(finetune)


def test_davis16_settings_split_the_training_sequences_and_differ_only_in_data(tmp_path):
    assert sorted(SPLIT_A + SPLIT_B) == sorted(DAVIS16_TRAIN) and len(SPLIT_A) == 8
    assert SPLIT_A[0][0] == "b" and SPLIT_A[-1][0] == "s"  # A spans the alphabet
    settings = [configured(name, tmp_path) for name in DAVIS16]
    plain = [s.to_dict() for s in settings]
    for d in plain:
        for key in ("train_datasets", "description", "pseudo_mask_dir", "project_path"):
            d.pop(key, None)
    assert all(d == plain[0] for d in plain[1:])
    assert settings[0].net_kwargs["backbone_type"] == "efficientnet_lite0" and settings[0].output_size == (192, 320)


def test_davis16_box2seg_setting_reads_the_annotation_folder(tmp_path, davis16_root):
    settings = configured("davis16_ab_box2seg", tmp_path)
    settings.env.davis16_dir = str(davis16_root)
    with pytest.raises(FileNotFoundError, match=r"annotate/run.py davis --year 2016 --split train --resolution 240p .*bmx-bumps"):
        settings.train_datasets(settings)
    for name in SPLIT_B:  # the tool's layout; 10 frames per sequence, an empty mask each
        folder = tmp_path / "annotations" / "davis16_b" / "davis_masks" / name
        folder.mkdir(parents=True)
        for i in range(10):
            write_mask(folder / f"{i:05d}.png", np.zeros((240, 427), bool))
    (a, weight_a), (b, weight_b) = settings.train_datasets(settings)
    assert (a.get_num_sequences(), weight_a, b.get_num_sequences(), weight_b) == (8, 8, 16, 16)
    assert b.name == "davis2016_maskfolder" and b.get_sequence_info(0)["visible"].sum() <= 10
    _, annos, _ = b.get_frames(0, [0, 1])
    assert all(m.sum() == 0 for m in annos["mask"])


def test_initial_weights_must_be_the_tasks_network(tmp_path):
    settings = configured("davis16_a", tmp_path)
    box2seg = box2seg_net(**settings.net_kwargs)
    path = save_checkpoint(tmp_path / "sta.pth.tar", box2seg, epoch=1)
    settings.init_checkpoint = lambda s: path
    with pytest.raises(ValueError, match="sta.pth.tar holds a Box2SegNet, which 'lwl' training does not train"):
        build_network(settings, find_task("lwl"))
    lwl = steepest_descent_resnet50(**settings.net_kwargs)
    settings.init_checkpoint = lambda s: save_checkpoint(tmp_path / "lwl.pth.tar", lwl, epoch=1)
    loaded = build_network(settings, find_task("lwl"))
    assert torch.equal(loaded.decoder.project.conv2.weight, lwl.decoder.project.conv2.weight)


def test_lwl_training_solves_with_the_settings_solver(tmp_path):
    """The setting's solver reaches every steepest descent of a training step (the filter and its refinement)."""
    settings = configured("stage1", tmp_path)
    assert settings.solver == "gemm"
    settings.solver = "double_backward"
    torch.manual_seed(0)
    net = steepest_descent_resnet50(backbone_type="efficientnet_lite0", out_feature_dim=32, decoder_mdim=8)
    optimizer, solvers = net.target_model.filter_optimizer, []
    forward = optimizer.forward
    optimizer.forward = lambda *args, solver=None, **kwargs: solvers.append(solver) or forward(*args, solver=solver,
                                                                                              **kwargs)
    masks = torch.zeros(3, 1, 64, 64)
    masks[:, :, 16:48, 16:48] = 1
    data = {"train_images": torch.randn(1, 1, 3, 64, 64), "train_masks": masks[:1],
            "test_images": torch.randn(2, 1, 3, 64, 64), "test_masks": masks[1:]}
    find_task("lwl").actor(net, settings)(data)
    assert solvers == ["double_backward"] * 2
