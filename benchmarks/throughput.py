"""Training and scoring speed of ADe-GAN, its FLOPs, and what bounds it.

Measures on synthetic images of a dataset's shape (no disk reads), after warm-up steps that
are not timed: training images/s of each stage (the model's own `train_function`), scoring
images/s (`predict`), FLOPs per training image (counted from the layers: 2 x multiply-adds of
every convolution and dense layer, training = 3 x forward for every network pass, i.e. forward
plus the two backward products), the achieved GFLOP/s and its share of the machine's peak,
and the input pipeline's own images/s (to tell whether it or the step is the bottleneck).

Measures the dataset's preset (its real task included) unless flags say otherwise.

Command line:
    python -m benchmarks.throughput --dataset mnist --batch-size 64
    python -m benchmarks.throughput --dataset mnist --real-task none   # the paper's training
    python -m benchmarks.throughput --dataset mnist --precision mixed_bfloat16 --jit --threads 2
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from keras_adegan.config import REAL_TASKS
from keras_adegan.errors import ArgumentParser
from keras_adegan.provenance import (add_threads_flag, cpu_name, library_versions, module_command,
                                     set_threads)

SHAPES = {"digits": (16, 16, 1), "mnist": (28, 28, 1), "fashion_mnist": (28, 28, 1),
          "cifar10": (32, 32, 3)}


def layer_flops(network) -> float:
    """Forward FLOPs of one image through a network (convolutions and dense layers)."""
    from keras import layers

    total = 0.0
    for layer in network.layers:
        if isinstance(layer, layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            c_in = layer.input.shape[-1]
            total += 2.0 * np.prod(layer.kernel_size) * c_in * c_out * h * w
        elif isinstance(layer, layers.Conv2DTranspose):
            _, h, w, _ = layer.input.shape  # every input pixel scatters a k x k x c_out patch
            total += 2.0 * np.prod(layer.kernel_size) * layer.input.shape[-1] * layer.filters * h * w
        elif isinstance(layer, layers.Dense):
            total += 2.0 * layer.input.shape[-1] * layer.units
    return total


def training_flops(model) -> dict[str, float]:
    """FLOPs per image of each training stage and of scoring (see the module docstring). With
    the rotation task, stage 2 also runs E on the four quarter-turns of every real image, and so
    does scoring when the feature score uses the rotation score; with the cluster task, E runs
    once more on the real images; with `stage2_adversarial_weight` stage 2 runs D three times."""
    g, d, e = (layer_flops(n) for n in (model.generator, model.discriminator, model.extractor))
    task = ((4.0 * e if model.rotation_head is not None else 0.0)
            + (e if model.cluster_task is not None else 0.0))
    turns_scored = 4.0 * e if model.head.rotation_score_weight > 0 else 0.0
    honest = 3.0 * d if model.stage2_adversarial_weight > 0 else 0.0  # D for G; D(real), D(fake)
    return {"stage1": 3.0 * (g + 2.0 * d),    # G(z); D(real), D(fake)
            "stage2": 3.0 * (4.0 * g + 4.0 * e + task + honest),  # E(x); G(4 sets); E(3 sets)
            "score": e + g + turns_scored}


def steady_rate(step, batch: int, warmup: int, steps: int) -> float:
    """Images per second of `step()` after `warmup` untimed calls."""
    for _ in range(warmup):
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return batch * steps / (time.perf_counter() - start)


def benchmark_config(args):
    """The dataset's preset with the command line's overrides (a flag left out keeps the
    preset's value, its real task included)."""
    from keras_adegan.config import ADeGANConfig

    return ADeGANConfig.preset(args.dataset, batch_size=args.batch_size, width=args.width,
                               precision=args.precision, jit_compile=args.jit,
                               real_task=args.real_task)


def measure(args) -> dict:
    set_threads(args.threads)
    from keras_adegan.factory import build_model
    from keras_adegan.images import to_model_range
    from keras_adegan.splits import train_stream

    shape = SHAPES[args.dataset]
    config = benchmark_config(args)
    images = np.random.default_rng(0).integers(0, 256, (args.batch_size * 64,) + shape, np.uint8)
    model = build_model(config, shape, len(images))
    model.adapt(to_model_range(images))  # the MNIST preset's cluster task: k-means first, as train does
    stream = train_stream(images, config.batch_size, 0).repeat()
    iterator = iter(stream)
    result = {"dataset_shape": list(shape), "config": config.to_dict(), "threads": args.threads,
              "flops_per_image": training_flops(model)}
    for stage in (1, 2):
        model.stage = stage
        model.make_train_function(force=True)
        fn = model.train_function

        def step(fn=fn):
            logs = fn(iterator)
            float(next(iter(logs.values())))  # wait for the step to finish

        result[f"stage{stage}_images_per_s"] = steady_rate(step, args.batch_size, args.warmup, args.steps)
    x = to_model_range(images[:2048])
    model.raw_outputs(x[:256])
    start = time.perf_counter()
    model.raw_outputs(x)
    result["score_images_per_s"] = len(x) / (time.perf_counter() - start)
    pipe = iter(stream)
    result["pipeline_images_per_s"] = steady_rate(lambda: next(pipe), args.batch_size, 10, 200)
    for stage in ("stage1", "stage2"):
        gflops = result["flops_per_image"][stage] * result[f"{stage}_images_per_s"] / 1e9
        result[f"{stage}_gflops"] = gflops
        result[f"{stage}_peak_share"] = gflops / args.peak_gflops
    slowest = min(result["stage1_images_per_s"], result["stage2_images_per_s"])
    result["bottleneck"] = ("input pipeline" if result["pipeline_images_per_s"] < 2 * slowest
                            else "training step")
    return result


def parse_args(argv=None) -> argparse.Namespace:
    p = ArgumentParser(prog="python -m benchmarks.throughput", description=__doc__.split("\n")[0])
    p.add_argument("--dataset", default="mnist", choices=sorted(SHAPES), help="image shape to use")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--width", type=int, default=None, help="network width (default: preset)")
    p.add_argument("--precision", default="float32", choices=["float32", "mixed_bfloat16"])
    p.add_argument("--jit", action="store_true", help="XLA-compile the training step")
    p.add_argument("--real-task", default=None, choices=REAL_TASKS,
                   help="stage 2's task on real images (default: the dataset's preset's; "
                        "none: the paper's training)")
    add_threads_flag(p)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--peak-gflops", type=float, default=256.0,
                   help="fp32 peak of the machine (default: 2 cores x AVX-512 FMA x 2.0 GHz)")
    p.add_argument("--json", default=None, help="append the result as one JSON line here")
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    result = measure(args)
    result["command"] = module_command("benchmarks.throughput", argv)
    result.update(cpu=cpu_name(), versions=library_versions(),
                  date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    flops = result["flops_per_image"]
    print(f"{args.dataset} {tuple(result['dataset_shape'])}, width {result['config']['width']}, "
          f"batch {args.batch_size}, {args.precision}, jit={args.jit}, threads={args.threads or 'all'}, "
          f"real task {result['config']['real_task']}")
    for stage in ("stage1", "stage2"):
        print(f"  {stage}: {result[f'{stage}_images_per_s']:8.0f} images/s, "
              f"{flops[stage] / 1e6:6.1f} MFLOP/image, {result[f'{stage}_gflops']:6.1f} GFLOP/s "
              f"= {100 * result[f'{stage}_peak_share']:.0f}% of {args.peak_gflops:.0f} GFLOP/s peak")
    print(f"  scoring: {result['score_images_per_s']:8.0f} images/s; input pipeline alone: "
          f"{result['pipeline_images_per_s']:.0f} images/s; bottleneck: {result['bottleneck']}")
    if args.json:
        with open(args.json, "a") as f:
            f.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
